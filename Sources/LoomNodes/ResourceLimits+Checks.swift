import LoomGraph

/// The checks a node makes before allocating an image batch or a tensor whose size its inputs choose: the engine's
/// limits per image, batch and tensor, and what the running prompt's outputs leave of its limit per prompt. Sizes
/// are multiplied as doubles, so no product overflows; a size from a link is not range-checked by validation, so
/// negative ones are refused here too. Errors name the node, the inputs and the limit.
struct AllocationBudget {
    var limits: ResourceLimits
    /// The running prompt's memory; nil outside a prompt.
    var memory: PromptMemory?

    /// A batch of `batch` images (or masks) of `width` × `height` with `channels` float channels.
    func checkImage(
        width: Int, height: Int, batch: Int = 1, channels: Int = 3, node: String, inputs: String
    ) throws(NodeError) {
        let bytes = try limits.checkImage(width: width, height: height, batch: batch, channels: channels, node: node, inputs: inputs)
        try checkPrompt(bytes: bytes, node: node, inputs: inputs)
    }

    /// A tensor of 32-bit floats of `shape`.
    func checkTensor(shape: [Int], node: String, inputs: String) throws(NodeError) {
        try checkPrompt(bytes: try limits.checkTensor(shape: shape, node: node, inputs: inputs), node: node, inputs: inputs)
    }

    private func checkPrompt(bytes: Double, node: String, inputs: String) throws(NodeError) {
        guard let memory else { return }
        let held = Double(memory.heldBytes)
        guard held + bytes <= Double(memory.limit) else {
            throw NodeError(
                node, "\(inputs): the result needs \(PromptMemory.mebibytes(bytes)) and this prompt's outputs already hold \(PromptMemory.mebibytes(held)), more than the limit of \(PromptMemory.mebibytes(Double(memory.limit))) per prompt (--max-prompt-memory-mb)")
        }
    }
}

extension NodeContext {
    /// The size checks for this node's allocations.
    var budget: AllocationBudget { AllocationBudget(limits: resources.limits, memory: memory) }
}

extension ResourceLimits {
    /// A batch of `batch` images (or masks) of `width` × `height` with `channels` float channels; returns its bytes.
    @discardableResult
    func checkImage(
        width: Int, height: Int, batch: Int = 1, channels: Int = 3, node: String, inputs: String
    ) throws(NodeError) -> Double {
        guard width >= 0, height >= 0, batch >= 0 else {
            throw NodeError(node, "\(inputs): a size of \(width)×\(height), batch \(batch), is negative")
        }
        let frame = Double(width) * Double(height)
        let pixels = frame * Double(batch)
        guard frame <= Double(pixelsPerImage) else {
            throw NodeError(
                node, "\(inputs): a \(width)×\(height) image has \(Self.count(frame)) pixels, more than the limit of \(Self.count(Double(pixelsPerImage))) per image (--max-image-pixels)")
        }
        guard pixels <= Double(pixelsPerBatch) else {
            throw NodeError(
                node, "\(inputs): \(batch) images of \(width)×\(height) have \(Self.count(pixels)) pixels, more than the limit of \(Self.count(Double(pixelsPerBatch))) per batch (--max-batch-pixels)")
        }
        return try checkTensor(elements: pixels * Double(channels), node: node, inputs: inputs)
    }

    /// A tensor of 32-bit floats of `shape`; returns its bytes.
    @discardableResult
    func checkTensor(shape: [Int], node: String, inputs: String) throws(NodeError) -> Double {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw NodeError(node, "\(inputs): a tensor of shape \(shape) has a negative size")
        }
        return try checkTensor(elements: shape.reduce(1) { $0 * Double($1) }, node: node, inputs: inputs)
    }

    private func checkTensor(elements: Double, node: String, inputs: String) throws(NodeError) -> Double {
        let bytes = elements * 4
        guard bytes <= Double(bytesPerTensor) else {
            throw NodeError(
                node, "\(inputs): the result needs \(Self.count(bytes / 1_048_576)) MiB, more than the limit of \(Self.count(Double(bytesPerTensor) / 1_048_576)) MiB per tensor (--max-tensor-mb)")
        }
        return bytes
    }

    /// A count with thousands separators, as messages print large numbers.
    private static func count(_ value: Double) -> String {
        guard value.isFinite, value < 1e18 else { return "\(value)" }
        var digits = Array(String(Int(value.rounded())))
        var position = digits.count - 3
        while position > 0 {
            digits.insert(",", at: position)
            position -= 3
        }
        return String(digits)
    }
}
