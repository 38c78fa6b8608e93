import LoomGraph

/// Chooses a union ControlNet's mode, with ComfyUI's list and indices (`UNION_CONTROLNET_TYPES`, the SDXL union
/// table): "auto" sends no mode. With a Flux union model these indices are not the model's own modes (its card
/// lists canny 0, tile 1, depth 2, blur 3, pose 4, gray 5, low quality 6), so "openpose" selects its canny mode and
/// "normal" its pose mode — in ComfyUI as here, so saved workflows give the same pictures.
public struct SetUnionControlNetType: CPUNode {
    /// ComfyUI's `UNION_CONTROLNET_TYPES`, in order.
    public static let types: [(name: String, index: Int)] = [
        ("openpose", 0), ("depth", 1), ("hed/pidi/scribble/ted", 2), ("canny/lineart/anime_lineart/mlsd", 3),
        ("normal", 4), ("segment", 5), ("tile", 6), ("repaint", 7),
    ]

    public static let schema = NodeSchema(
        name: "SetUnionControlNetType", category: "conditioning/controlnet",
        inputs: [.link("control_net", "CONTROL_NET"), .combo("type", ["auto"] + types.map(\.name))],
        outputs: [OutputSpec("CONTROL_NET")], pythonModule: "comfy_extras.nodes_controlnet")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        var controlNet: ControlNet = try inputs("control_net")
        let type: String = try inputs("type")
        controlNet.controlType = Self.types.first { $0.name == type }.map { [$0.index] } ?? []
        return NodeResult([controlNet])
    }
}
