/// A dense f32 tensor in host memory, row-major, outermost dimension first as in PyTorch: how models
/// take inputs and return outputs, and what latents and conditioning hold between nodes.
public struct HostTensor: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "\(values.count) values for shape \(shape)")
        self.shape = shape
        self.values = values
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, values: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public var count: Int { values.count }
    public var rank: Int { shape.count }
    public var byteCount: Int { values.count * MemoryLayout<Float>.stride }
}
