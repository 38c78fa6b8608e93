import LoomGraph
import LoomImaging

/// KJNodes' "GrowMaskWithBlur": per mask of the batch, grow or shrink (3×3 steps, the count rising by
/// `incremental_expandrate` per frame), optionally fill holes, blend with the previous frame, then blur
/// with PIL's Gaussian. Returns the masks and their inverses.
public struct GrowMaskWithBlur: CPUNode {
    public static let schema = NodeSchema(
        name: "GrowMaskWithBlur", displayName: "Grow Mask With Blur", category: "KJNodes/masking",
        inputs: [
            .link("mask", "MASK"),
            .int("expand", default: 0, min: -ImageNodes.maxResolution, max: ImageNodes.maxResolution),
            .float("incremental_expandrate", default: 0.0, min: 0.0, max: 100.0, step: 0.1),
            .boolean("tapered_corners", default: true),
            .boolean("flip_input", default: false),
            .float("blur_radius", default: 0.0, min: 0.0, max: 100, step: 0.1),
            .float("lerp_alpha", default: 1.0, min: 0.0, max: 1.0, step: 0.01),
            .float("decay_factor", default: 1.0, min: 0.0, max: 1.0, step: 0.01),
            .boolean("fill_holes", default: false, section: .optional),
        ],
        outputs: [OutputSpec("MASK", name: "mask"), OutputSpec("MASK", name: "mask_inverted")],
        pythonModule: "custom_nodes.ComfyUI-KJNodes")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        var masks = try inputs("mask", as: Mask.self)
        if try inputs("flip_input", as: Bool.self) { masks = masks.mapValues { 1 - $0 } }
        let rate = abs(try inputs("incremental_expandrate", as: Double.self))
        let tapered = try inputs("tapered_corners", as: Bool.self)
        let fillsHoles = try inputs.optional("fill_holes", as: Bool.self) ?? false
        let alpha = Float(try inputs("lerp_alpha", as: Double.self))
        let decay = Float(try inputs("decay_factor", as: Double.self))
        var expand = Double(try inputs("expand", as: Int.self))
        var previous: Mask?
        var frames: [Mask] = []
        for index in 0..<masks.batchCount {
            var frame = masks.frame(index)
            let steps = ImageNodes.pythonRound(expand)
            if steps != 0 && (frame.values.max() ?? 0) > 0 {
                // The sign of the running amount, not of the rounded steps, picks erosion or dilation.
                frame = frame.grown(by: expand < 0 ? -abs(steps) : abs(steps), taperedCorners: tapered)
            }
            expand += expand < 0 ? -rate : rate
            if fillsHoles { frame = frame.holesFilled() }
            if let previous, alpha < 1 {
                frame = Mask(
                    batchCount: 1, height: frame.height, width: frame.width,
                    values: zip(frame.values, previous.values).map { alpha * $0 + (1 - alpha) * $1 })
            }
            if let previous, decay < 1 {
                let summed = zip(frame.values, previous.values).map { $0 + decay * $1 }
                // KJNodes divides by the maximum; an all-zero frame stays zero instead of becoming NaN.
                let largest = summed.max() ?? 0
                frame = Mask(
                    batchCount: 1, height: frame.height, width: frame.width,
                    values: largest == 0 ? summed : summed.map { $0 / largest })
            }
            previous = frame
            frames.append(frame)
        }
        var output = Mask(
            batchCount: frames.count, height: masks.height, width: masks.width, values: frames.flatMap(\.values))
        let radius = try inputs("blur_radius", as: Double.self)
        if radius != 0 { output = output.gaussianBlurredLikePIL(radius: Float(radius)) }
        return NodeResult([output, output.mapValues { 1 - $0 }])
    }
}
