/// An additive attention bias that depends on the key and only on which run of consecutive queries a query
/// belongs to: the first `runLengths[0]` queries add row 0 of `rows` ([runs, Lk]) to their logits, the next
/// `runLengths[1]` row 1, and so on. Masks built from token groups (Flux's bias toward Redux tokens) have this
/// shape, so they take runs × Lk floats on the device instead of an Lq × Lk matrix; each run is one dispatch of
/// the flash-attention shader, which reads its row with a query stride of 0.
public struct QueryRunBias: Sendable {
    public let rows: Tensor
    public let runLengths: [Int]

    public init(rows: Tensor, runLengths: [Int]) throws(VulkanError) {
        guard rows.rank == 2, rows.shape[0] == runLengths.count, runLengths.allSatisfy({ $0 >= 0 }) else {
            throw .invalidArgument("query-run bias: rows \(rows.shape) do not give one row of keys to each of the runs \(runLengths)")
        }
        self.rows = rows
        self.runLengths = runLengths
    }
}
