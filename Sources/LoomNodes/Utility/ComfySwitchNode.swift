import LoomGraph

/// ComfyUI's core `Switch`: passes `on_true` or `on_false` on. Both branches are lazy, so only the chosen one
/// runs — the other's models are never loaded, and its validation errors only matter if it is chosen.
public struct ComfySwitchNode: Node {
    public static let schema = NodeSchema(
        name: "ComfySwitchNode", displayName: "Switch", category: "logic",
        inputs: [
            .boolean("switch"),
            .link("on_false", "*", isLazy: true),
            .link("on_true", "*", isLazy: true),
        ],
        outputs: [OutputSpec("*", name: "output")],
        pythonModule: "comfy_extras.nodes_logic", isExperimental: true)

    public init() {}

    public func neededLazyInputs(_ inputs: NodeInputs, context: NodeContext) async throws -> [String] {
        let chosen = try Self.chosenInput(inputs)
        return inputs.has(chosen) ? [] : [chosen]
    }

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try inputs(try Self.chosenInput(inputs), as: NodeValue.self)])
    }

    static func chosenInput(_ inputs: NodeInputs) throws -> String {
        try inputs("switch", as: Bool.self) ? "on_true" : "on_false"
    }
}
