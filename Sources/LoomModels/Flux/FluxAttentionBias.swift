import LoomVulkan

extension JointAttentionMask {
    /// The mask over Flux's joint sequence [text | `imageTokens` image tokens] as the attention takes it: one row
    /// of per-key biases for each run of consecutive queries (neighbouring segments with equal rows share a run),
    /// runs × L floats on the device. Nil when the mask adds nothing.
    func queryRunBias(imageTokens: Int, context: VulkanContext) throws(VulkanError) -> QueryRunBias? {
        guard !isZero else { return nil }
        let lengths = segmentLengths(imageTokens: imageTokens)
        var runLengths: [Int] = []
        var rows: [[Float]] = []
        for (segment, length) in lengths.enumerated() {
            if let last = rows.last, last == bias[segment] {
                runLengths[runLengths.count - 1] += length
            } else {
                rows.append(bias[segment])
                runLengths.append(length)
            }
        }
        let table = rows.flatMap { row in zip(row, lengths).flatMap { value, length in [Float](repeating: value, count: length) } }
        return try QueryRunBias(rows: context.upload(table, shape: [rows.count, lengths.reduce(0, +)]), runLengths: runLengths)
    }
}
