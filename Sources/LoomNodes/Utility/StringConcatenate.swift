import LoomGraph

public struct StringConcatenate: Node {
    public static let schema = NodeSchema(
        name: "StringConcatenate", displayName: "Concatenate", category: "utils/string",
        inputs: [.string("string_a", multiline: true), .string("string_b", multiline: true), .string("delimiter")],
        outputs: [OutputSpec("STRING")], pythonModule: "comfy_extras.nodes_string")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let joined = [try inputs("string_a", as: String.self), try inputs("string_b", as: String.self)]
            .joined(separator: try inputs("delimiter", as: String.self))
        return NodeResult([joined])
    }
}
