import LoomGraph
import LoomImaging
import LoomModels

/// Images, masks and tensors count their sample buffers against the output cache's and the prompt's memory budgets.
extension Image: MemoryFootprint {
    public var memoryFootprint: Int { pixels.count * MemoryLayout<Float>.stride }
    public var memoryBuffers: [MemoryBuffer]? { [MemoryBuffer(pixels)] }
}

extension Mask: MemoryFootprint {
    public var memoryFootprint: Int { values.count * MemoryLayout<Float>.stride }
    public var memoryBuffers: [MemoryBuffer]? { [MemoryBuffer(values)] }
}

extension HostTensor {
    var memoryBuffer: MemoryBuffer { MemoryBuffer(values) }
}
