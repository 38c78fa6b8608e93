import LoomVulkan

/// LDM's `FeedForward` with a GEGLU input (`ff.net.0.proj` to twice the hidden width, the first
/// half times GELU of the second), then `ff.net.2` back to the model width.
struct GatedFeedForward: Sendable {
    /// The most bytes the hidden activations of one pass may take: longer inputs run in row
    /// chunks, submitted one by one, so a 1024² SDXL batch stays under lavapipe's 128 MiB buffer
    /// limit and the hidden activations of only one chunk are alive at a time.
    static let defaultChunkBytes = 64 << 20

    let projection: Linear
    let output: Linear
    let chunkBytes: Int

    init(_ weights: ModelWeights, _ module: String, width: Int, chunkBytes: Int = defaultChunkBytes) throws(ModelLoadingError) {
        let inner = try weights.shape(of: module + ".net.2.weight")
        guard inner.count == 2 else {
            throw .unexpectedShape(name: weights.prefix + module + ".net.2.weight", file: weights.file.path, expected: [width, -1], found: inner)
        }
        projection = try weights.linear(module + ".net.0.proj", inputs: width, outputs: 2 * inner[1])
        output = try weights.linear(module + ".net.2", inputs: inner[1], outputs: width)
        self.chunkBytes = chunkBytes
    }

    /// `x` is [B, L, width] (contiguous); the result is [B, L, width].
    func callAsFunction(_ x: Tensor, on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        let rows = x.count / max(x.shape[x.rank - 1], 1)
        let rowsPerChunk = max(chunkBytes / (projection.outputCount * MemoryLayout<Float>.size), 1)
        if rows <= rowsPerChunk { return try apply(x, on: recorder) }
        let flat = try x.reshaped([rows, x.shape[x.rank - 1]])
        let result = try recorder.context.makeTensor(shape: [rows, output.outputCount])
        for start in stride(from: 0, to: rows, by: rowsPerChunk) {
            let range = start..<min(start + rowsPerChunk, rows)
            try recorder.copy(apply(flat.sliced(axis: 0, range), on: recorder), into: result.sliced(axis: 0, range))
            try recorder.submit()
        }
        return try result.reshaped(x.shape)
    }

    private func apply(_ x: Tensor, on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        let projected = try projection(x, on: recorder)
        let axis = projected.rank - 1
        let hidden = projected.shape[axis] / 2
        let gated = try recorder.multiply(projected.sliced(axis: axis, 0..<hidden),
                                          recorder.gelu(projected.sliced(axis: axis, hidden..<(2 * hidden))))
        return try output(gated, on: recorder)
    }
}
