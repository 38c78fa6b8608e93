import LoomGraph
import LoomImaging
import LoomModels

/// Resizes latents to a pixel size (divided by 8); 0 for one side keeps the aspect ratio.
public struct LatentUpscale: CPUNode {
    public static let schema = NodeSchema(
        name: "LatentUpscale", displayName: "Upscale Latent", category: "latent",
        inputs: [
            .link("samples", "LATENT"),
            .combo("upscale_method", LatentResampling.methods),
            .int("width", default: 512, min: 0, max: LatentNodes.maxResolution, step: 8),
            .int("height", default: 512, min: 0, max: LatentNodes.maxResolution, step: 8),
            .combo("crop", ["disabled", "center"]),
        ],
        outputs: [OutputSpec("LATENT")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        var latent = try inputs("samples", as: Latent.self)
        var width = try inputs("width", as: Int.self), height = try inputs("height", as: Int.self)
        if width == 0 && height == 0 { return NodeResult([latent]) }
        let method = try LatentResampling.method(inputs, node: Self.schema.name)
        // Sizes are pixels, at least 64; a 0 side follows the latent's aspect ratio (Python's round).
        if width == 0 {
            height = max(64, height)
            width = max(64, ImageNodes.pythonRound(Double(latent.width) * Double(height) / Double(latent.height)))
        } else if height == 0 {
            width = max(64, width)
            height = max(64, ImageNodes.pythonRound(Double(latent.height) * Double(width) / Double(latent.width)))
        } else {
            (width, height) = (max(64, width), max(64, height))
        }
        let centerCrop = try inputs("crop", as: String.self) == "center"
        try context.budget.checkTensor(
            shape: [latent.samples.shape[0], latent.samples.shape[1], height / LatentNodes.downscaleFactor, width / LatentNodes.downscaleFactor],
            node: Self.schema.name, inputs: "width, height")
        latent.samples = LatentResampling.resized(latent.samples, width: width / LatentNodes.downscaleFactor,
                                                  height: height / LatentNodes.downscaleFactor, method: method, centerCrop: centerCrop)
        return NodeResult([latent])
    }
}

/// Resizes latents by a factor.
public struct LatentUpscaleBy: CPUNode {
    public static let schema = NodeSchema(
        name: "LatentUpscaleBy", displayName: "Upscale Latent By", category: "latent",
        inputs: [
            .link("samples", "LATENT"),
            .combo("upscale_method", LatentResampling.methods),
            .float("scale_by", default: 1.5, min: 0.01, max: 8.0, step: 0.01),
        ],
        outputs: [OutputSpec("LATENT")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        var latent = try inputs("samples", as: Latent.self)
        let method = try LatentResampling.method(inputs, node: Self.schema.name)
        let factor = try inputs("scale_by", as: Double.self)
        let width = ImageNodes.pythonRound(Double(latent.width) * factor)
        let height = ImageNodes.pythonRound(Double(latent.height) * factor)
        guard width > 0, height > 0 else {
            throw NodeError(Self.schema.name, "scale_by: \(factor) shrinks the \(latent.width)×\(latent.height) latent to nothing")
        }
        try context.budget.checkTensor(
            shape: [latent.samples.shape[0], latent.samples.shape[1], height, width], node: Self.schema.name, inputs: "scale_by")
        latent.samples = LatentResampling.resized(latent.samples, width: width, height: height, method: method, centerCrop: false)
        return NodeResult([latent])
    }
}

/// ComfyUI's `common_upscale` on [B, C, H, W] latents, through LoomImaging's resamplers (which
/// follow PyTorch's `interpolate`) with the channels interleaved as an image's.
enum LatentResampling {
    static let methods = ["nearest-exact", "bilinear", "area", "bicubic", "bislerp"]

    static func method(_ inputs: NodeInputs, node: String) throws -> LatentResamplingMethod {
        let name = try inputs("upscale_method", as: String.self)
        if name == "bislerp" { return .bislerp }
        guard methods.contains(name), let method = ResamplingMethod(rawValue: name) else {
            throw NodeError(node, "upscale_method: unknown method '\(name)'")
        }
        return .interpolate(method)
    }

    static func resized(_ samples: HostTensor, width: Int, height: Int, method: LatentResamplingMethod, centerCrop: Bool) -> HostTensor {
        let (batch, channels, oldHeight, oldWidth) = (samples.shape[0], samples.shape[1], samples.shape[2], samples.shape[3])
        let plane = oldHeight * oldWidth
        var interleaved = [Float](repeating: 0, count: samples.count)
        for item in 0..<batch {
            for channel in 0..<channels {
                for index in 0..<plane {
                    interleaved[(item * plane + index) * channels + channel] = samples.values[(item * channels + channel) * plane + index]
                }
            }
        }
        var image = Image(batchCount: batch, height: oldHeight, width: oldWidth, channels: channels, pixels: interleaved)
        switch method {
        case .interpolate(let resampling):
            image = image.scaled(width: width, height: height, method: resampling, centerCrop: centerCrop)
        case .bislerp:
            image = Bislerp.scaled(image, width: width, height: height, centerCrop: centerCrop)
        }
        let newPlane = height * width
        var values = [Float](repeating: 0, count: batch * channels * newPlane)
        for item in 0..<batch {
            for index in 0..<newPlane {
                for channel in 0..<channels {
                    values[(item * channels + channel) * newPlane + index] = image.pixels[(item * newPlane + index) * channels + channel]
                }
            }
        }
        return HostTensor(shape: [batch, channels, height, width], values: values)
    }
}

enum LatentResamplingMethod {
    case interpolate(ResamplingMethod)
    case bislerp
}
