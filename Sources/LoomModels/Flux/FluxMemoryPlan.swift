import LoomModelFiles

/// Which transformer blocks keep their weights on the device. Blocks run in a fixed order
/// (double blocks, then single blocks); the first `residentBlockCount` whose weights fit the
/// budget stay uploaded, every later one is uploaded when it runs and released right after, so a
/// model larger than device memory runs (slower, bound by upload bandwidth) instead of failing.
public struct FluxMemoryPlan: Sendable, Equatable {
    /// Device bytes of each block's weights, in evaluation order.
    public let blockBytes: [Int]
    /// Device bytes of the embeddings and final layer, always resident.
    public let sharedBytes: Int
    public let residentBlockCount: Int

    public var blockCount: Int { blockBytes.count }
    public var streamsBlocks: Bool { residentBlockCount < blockCount }
    /// Weight bytes on the device between evaluations.
    public var residentBytes: Int { sharedBytes + blockBytes.prefix(residentBlockCount).reduce(0, +) }

    /// Keeps blocks resident in order while the shared weights and those blocks fit `budgetBytes`,
    /// leaving room for the largest streamed block.
    public init(blockBytes: [Int], sharedBytes: Int, budgetBytes: Int) {
        self.blockBytes = blockBytes
        self.sharedBytes = sharedBytes
        let total = sharedBytes + blockBytes.reduce(0, +)
        if total <= budgetBytes {
            residentBlockCount = blockBytes.count
            return
        }
        let streamingRoom = blockBytes.max() ?? 0
        var used = sharedBytes + streamingRoom
        var count = 0
        while count < blockBytes.count, used + blockBytes[count] <= budgetBytes {
            used += blockBytes[count]
            count += 1
        }
        residentBlockCount = count
    }

    /// The plan for a checkpoint's tensors under `prefix`, from their sizes on the device (stored
    /// dtype where the shaders read it, f16 for other matrices, f32 for vectors).
    init(file: ModelFile, prefix: String, configuration c: FluxConfiguration, budgetBytes: Int) {
        var blocks = [Int](repeating: 0, count: c.parameters.doubleBlockCount + c.parameters.singleBlockCount)
        var shared = 0
        for tensor in file.tensors where tensor.name.hasPrefix(prefix) {
            let name = tensor.name.dropFirst(prefix.count)
            let bytes: Int = if tensor.shape.count < 2 {
                tensor.elementCount * 4
            } else if ModelWeights.deviceType(of: tensor.dataType) != nil {
                tensor.byteCount
            } else {
                tensor.elementCount * 2
            }
            if let index = Self.blockIndex(name, group: "double_blocks.") {
                if index < c.parameters.doubleBlockCount { blocks[index] += bytes }
            } else if let index = Self.blockIndex(name, group: "single_blocks.") {
                if index < c.parameters.singleBlockCount { blocks[c.parameters.doubleBlockCount + index] += bytes }
            } else {
                shared += bytes
            }
        }
        self.init(blockBytes: blocks, sharedBytes: shared, budgetBytes: budgetBytes)
    }

    private static func blockIndex(_ name: Substring, group: String) -> Int? {
        guard name.hasPrefix(group) else { return nil }
        return Int(name.dropFirst(group.count).prefix { $0.isNumber })
    }
}
