import LoomGraph

/// Constant sources (ComfyUI's `utils/primitive` nodes): a widget value turned into an output.
private let primitiveCategory = "utils/primitive"
private let pythonMaxSize = Int.max  // Python sys.maxsize

public struct PrimitiveInt: Node {
    public static let schema = NodeSchema(
        name: "PrimitiveInt", displayName: "Int", category: primitiveCategory,
        inputs: [.int("value", default: 0, min: -pythonMaxSize, max: pythonMaxSize, controlAfterGenerate: true)],
        outputs: [OutputSpec("INT")], pythonModule: "comfy_extras.nodes_primitive")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try inputs("value", as: Int.self)])
    }
}

public struct PrimitiveFloat: Node {
    public static let schema = NodeSchema(
        name: "PrimitiveFloat", displayName: "Float", category: primitiveCategory,
        inputs: [.float("value", default: 0, min: -Double(pythonMaxSize), max: Double(pythonMaxSize))],
        outputs: [OutputSpec("FLOAT")], pythonModule: "comfy_extras.nodes_primitive")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try inputs("value", as: Double.self)])
    }
}

public struct PrimitiveString: Node {
    public static let schema = NodeSchema(
        name: "PrimitiveString", displayName: "String", category: primitiveCategory,
        inputs: [.string("value")], outputs: [OutputSpec("STRING")], pythonModule: "comfy_extras.nodes_primitive")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try inputs("value", as: String.self)])
    }
}

public struct PrimitiveStringMultiline: Node {
    public static let schema = NodeSchema(
        name: "PrimitiveStringMultiline", displayName: "String (Multiline)", category: primitiveCategory,
        inputs: [.string("value", multiline: true)], outputs: [OutputSpec("STRING")],
        pythonModule: "comfy_extras.nodes_primitive")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try inputs("value", as: String.self)])
    }
}

public struct PrimitiveBoolean: Node {
    public static let schema = NodeSchema(
        name: "PrimitiveBoolean", displayName: "Boolean", category: primitiveCategory,
        inputs: [.boolean("value")], outputs: [OutputSpec("BOOLEAN")], pythonModule: "comfy_extras.nodes_primitive")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try inputs("value", as: Bool.self)])
    }
}
