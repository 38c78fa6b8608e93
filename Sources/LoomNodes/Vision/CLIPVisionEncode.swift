import LoomGraph
import LoomImaging
import LoomModels

/// Encodes images with a vision tower after ComfyUI's `clip_preprocess`: ComfyUI's CLIP_VISION_OUTPUT.
public struct CLIPVisionEncode: Node {
    public static let schema = NodeSchema(
        name: "CLIPVisionEncode", displayName: "CLIP Vision Encode", category: "conditioning",
        inputs: [.link("clip_vision", "CLIP_VISION"), .link("image", "IMAGE"), .combo("crop", ["center", "none"])],
        outputs: [OutputSpec("CLIP_VISION_OUTPUT")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let model: VisionTransformer = try inputs("clip_vision")
        let image: Image = try inputs("image")
        let crop: String = try inputs("crop")
        do {
            let pixels = try model.preprocessing.pixelValues(image, crop: crop == "center")
            return NodeResult([try model.encode(pixels)])
        } catch {
            throw NodeError(Self.schema.name, "image: \(error)")
        }
    }
}

extension VisionEncoderOutput: MemoryFootprint {
    public var memoryFootprint: Int { lastHiddenState.byteCount + penultimateHiddenStates.byteCount + imageEmbeds.byteCount }
    public var memoryBuffers: [MemoryBuffer]? {
        [lastHiddenState.memoryBuffer, penultimateHiddenStates.memoryBuffer, imageEmbeds.memoryBuffer]
    }
}
