import LoomGraph

/// Shows any value as text: an output node for graphs that produce numbers or strings.
public struct PreviewAny: Node {
    public static let schema = NodeSchema(
        name: "PreviewAny", displayName: "Preview Any", category: "utils",
        inputs: [.link("source", "*")], isOutputNode: true, pythonModule: "comfy_extras.nodes_preview_any")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let value = try inputs("source", as: NodeValue.self)
        return .ui(["text": [.string(Self.text(of: value))]])
    }

    /// Numbers and strings print as ComfyUI prints them; other values by their description.
    static func text(of value: NodeValue) -> String {
        switch value {
        case let string as String: string
        case let int as Int: String(int)
        case let double as Double: LiteralCoercion.pythonString(.double(double))
        case let bool as Bool: bool ? "true" : "false"
        case let json as JSONValue: json.jsonText(indent: nil)
        default: String(describing: value)
        }
    }
}
