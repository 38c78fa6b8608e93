import LoomGraph
import LoomModels

/// Zero latents for sampling from scratch, four channels as ComfyUI makes them (sampling widens an
/// all-zero latent to the model's channel count).
public struct EmptyLatentImage: CPUNode {
    public static let schema = NodeSchema(
        name: "EmptyLatentImage", displayName: "Empty Latent Image", category: "latent",
        inputs: [
            .int("width", default: 512, min: 16, max: LatentNodes.maxResolution, step: 8),
            .int("height", default: 512, min: 16, max: LatentNodes.maxResolution, step: 8),
            .int("batch_size", default: 1, min: 1, max: 4096),
        ],
        outputs: [OutputSpec("LATENT")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try LatentNodes.empty(inputs, channels: 4, budget: context.budget, node: Self.schema.name)])
    }
}

/// Zero latents with the 16 channels of SD3 and Flux.
public struct EmptySD3LatentImage: CPUNode {
    public static let schema = NodeSchema(
        name: "EmptySD3LatentImage", displayName: "EmptySD3LatentImage", category: "latent/sd3",
        inputs: [
            .int("width", default: 1024, min: 16, max: LatentNodes.maxResolution, step: 16),
            .int("height", default: 1024, min: 16, max: LatentNodes.maxResolution, step: 16),
            .int("batch_size", default: 1, min: 1, max: 4096),
        ],
        outputs: [OutputSpec("LATENT")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([
            try LatentNodes.empty(
                inputs, channels: LatentFormat.flux.channels, budget: context.budget, node: Self.schema.name)
        ])
    }
}

enum LatentNodes {
    /// ComfyUI's MAX_RESOLUTION.
    static let maxResolution = 16384
    /// Pixels per latent cell of every latent these nodes make.
    static let downscaleFactor = 8

    static func empty(_ inputs: NodeInputs, channels: Int, budget: AllocationBudget, node: String) throws -> Latent {
        let width = try inputs("width", as: Int.self), height = try inputs("height", as: Int.self)
        let batch = try inputs("batch_size", as: Int.self)
        let shape = [batch, channels, height / downscaleFactor, width / downscaleFactor]
        try budget.checkTensor(shape: shape, node: node, inputs: "width, height, batch_size")
        return Latent(samples: HostTensor(zeros: shape))
    }
}
