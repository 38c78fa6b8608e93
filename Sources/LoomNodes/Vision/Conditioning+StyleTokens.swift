import LoomModels

extension Conditioning {
    /// Every entry with `tokens` ([1, N, width]) appended after its text tokens ([1, T, width]), its other values
    /// kept, as the style-model nodes concatenate them; `adjust` sees each entry and its T before the tokens join.
    func appendingStyleTokens(_ tokens: HostTensor, node: String,
                              adjust: (inout Entry, _ textTokens: Int) throws -> Void = { _, _ in }) throws -> Conditioning {
        let width = tokens.shape[2]
        var result = self
        for index in result.entries.indices {
            let text = result.entries[index].crossAttention
            guard text.rank == 3, text.shape[0] == 1, text.shape[2] == width else {
                throw NodeError(node, "conditioning: the style model adds tokens [1, N, \(width)] after text tokens [1, T, \(width)], but the conditioning has \(text.shape)")
            }
            try adjust(&result.entries[index], text.shape[1])
            result.entries[index].crossAttention = HostTensor(shape: [1, text.shape[1] + tokens.shape[1], width], values: text.values + tokens.values)
        }
        return result
    }
}
