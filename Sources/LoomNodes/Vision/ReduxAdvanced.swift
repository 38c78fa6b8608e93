import LoomGraph
import LoomImaging
import LoomModels

/// kaibioinfo's "Apply Redux model (advanced)" (ComfyUI_AdvancedRefluxControl): frames the image (and optional
/// mask) at the vision model's size (`ReduxImageFraming`), encodes it, and appends the style model's tokens after
/// the text tokens — first masked and shrunk as a square grid by `downsampling_factor` (to round(side / factor)
/// with `downsampling_function`), scaled by weight², and with every token outside the mask dropped. Also returns
/// the framed image and mask, as the pack does for previews (the mask output is empty, ComfyUI's None, for a
/// centre crop without a mask).
public struct ReduxAdvanced: Node {
    static let pythonModule = "custom_nodes.ComfyUI_AdvancedRefluxControl"
    static let downsamplingFunctions = ["nearest", "bilinear", "bicubic", "area", "nearest-exact"]

    public static let schema = NodeSchema(
        name: "ReduxAdvanced", displayName: "Apply Redux model (advanced)", category: "conditioning/style_model",
        inputs: [
            .link("conditioning", "CONDITIONING"), .link("style_model", "STYLE_MODEL"), .link("clip_vision", "CLIP_VISION"),
            .link("image", "IMAGE"),
            .float("downsampling_factor", default: 3, min: 1, max: 9, step: 0.1),
            .combo("downsampling_function", downsamplingFunctions, default: "area"),
            .combo("mode", ReduxImageFraming.allCases.map(\.rawValue), default: ReduxImageFraming.centerCrop.rawValue),
            .float("weight", default: 1, min: 0, max: 1, step: 0.01),
            .link("mask", "MASK", section: .optional),
            .float("autocrop_margin", default: 0.1, min: 0, max: 1, step: 0.01, section: .optional),
        ],
        outputs: [OutputSpec("CONDITIONING"), OutputSpec("IMAGE"), OutputSpec("MASK")],
        pythonModule: pythonModule)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let node = Self.schema.name
        let conditioning: Conditioning = try inputs("conditioning")
        let styleModel: StyleModel = try inputs("style_model")
        let vision: VisionTransformer = try inputs("clip_vision")
        let image: Image = try inputs("image")
        let factor: Double = try inputs("downsampling_factor")
        let function: String = try inputs("downsampling_function")
        let modeName: String = try inputs("mode")
        let weight: Double = try inputs("weight")
        let mask: Mask? = try inputs.optional("mask")
        // The pack's Python default when the socket is left out.
        let margin: Double = try inputs.optional("autocrop_margin") ?? 0
        guard let mode = ReduxImageFraming(rawValue: modeName) else {
            throw NodeError(node, "mode: '\(modeName)' is not one of \(ReduxImageFraming.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))")
        }
        guard Self.downsamplingFunctions.contains(function), let method = ResamplingMethod(rawValue: function) else {
            throw NodeError(node, "downsampling_function: '\(function)' is not one of \(Self.downsamplingFunctions.joined(separator: ", "))")
        }
        guard factor.isFinite, factor >= 1, weight.isFinite else {
            throw NodeError(node, "downsampling_factor and weight must be finite, the factor at least 1; got \(factor) and \(weight)")
        }

        // The pack frames at 512 px in 16-px patches for a vision model with 1024 positions (SigLIP 512), else 384 / 14.
        let grid = vision.parameters.imageSize / vision.parameters.patchSize
        let positions = grid * grid + (vision.kind == .clip ? 1 : 0)
        let (size, patch) = positions == 1024 ? (512, 16) : (384, 14)
        let framed: (image: Image, mask: Mask?)
        do { framed = try mode.framed(image, mask: mask, margin: margin, size: size) } catch { throw NodeError(node, "\(error)") }

        var tokens: StyleTokenGrid
        do {
            let output = try vision.encode(vision.preprocessing.pixelValues(framed.image, crop: true))
            tokens = StyleTokenGrid(tokens: try styleModel.tokenSequence(for: output))
        } catch {
            throw NodeError(node, "image: \(error)")
        }
        var keep = framed.mask.map { Self.patchMaximum($0, patch: patch) }
        if let patches = keep, patches.batchCount != 1 || patches.frameSize != tokens.tokens.shape[1] {
            throw NodeError(node, "mask: the pack masks the tokens of one image with one mask; got \(image.batchCount) image(s) giving \(tokens.tokens.shape[1]) tokens and \(patches.batchCount) mask(s) of \(patches.frameSize) patches")
        }
        if factor > 1 {
            guard let side = tokens.side else {
                throw NodeError(node, "image: \(tokens.tokens.shape[1]) image tokens do not form a square grid to downsample (the pack downsamples one image's tokens); use downsampling_factor 1 for several images")
            }
            if let patches = keep { tokens = tokens.weighted(by: patches.values) }
            let newSide = ImageNodes.pythonRound(Double(side) / factor)
            guard newSide > 0 else { throw NodeError(node, "downsampling_factor: a \(side) × \(side) token grid cannot shrink by \(factor)") }
            tokens = tokens.resampled(from: side, to: newSide, method: method)
            keep = keep?.resized(width: newSide, height: newSide, method: .area)
        }
        let scale = Float(weight * weight)
        if scale != 1 { tokens.tokens.values = tokens.tokens.values.map { $0 * scale } }
        if let keep { tokens = tokens.kept(where: keep.values.map { $0 > 0 }) }

        let applied = try conditioning.appendingStyleTokens(tokens.tokens, node: node)
        return NodeResult([applied, framed.image, framed.mask.map { $0 as NodeValue } ?? JSONValue.null])
    }

    /// The largest mask value in each whole `patch` × `patch` square (PyTorch's MaxPool2d: a remainder is ignored).
    static func patchMaximum(_ mask: Mask, patch: Int) -> Mask {
        let (rows, columns) = (mask.height / patch, mask.width / patch)
        var values = [Float](repeating: -.infinity, count: mask.batchCount * rows * columns)
        for batch in 0..<mask.batchCount {
            for y in 0..<(rows * patch) {
                for x in 0..<(columns * patch) {
                    let index = (batch * rows + y / patch) * columns + x / patch
                    values[index] = max(values[index], mask[batch, y, x])
                }
            }
        }
        return Mask(batchCount: mask.batchCount, height: rows, width: columns, values: values)
    }
}
