import LoomGraph

/// Constant sources (ComfyUI's `utils/primitive` nodes): a widget value turned into an output.
private let primitiveCategory = "utils/primitive"
private let pythonMaxSize = Int.max  // Python sys.maxsize

/// A primitive node returns its `value` widget unchanged.
public protocol PrimitiveValueNode: Node {
    associatedtype Value: Sendable
}

extension PrimitiveValueNode {
    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try inputs("value", as: Value.self)])
    }
}

public struct PrimitiveInt: PrimitiveValueNode {
    public typealias Value = Int

    public static let schema = NodeSchema(
        name: "PrimitiveInt", displayName: "Int", category: primitiveCategory,
        inputs: [.int("value", default: 0, min: -pythonMaxSize, max: pythonMaxSize, controlAfterGenerate: true)],
        outputs: [OutputSpec("INT")], pythonModule: "comfy_extras.nodes_primitive")

    public init() {}
}

public struct PrimitiveFloat: PrimitiveValueNode {
    public typealias Value = Double

    public static let schema = NodeSchema(
        name: "PrimitiveFloat", displayName: "Float", category: primitiveCategory,
        inputs: [.float("value", default: 0, min: -Double(pythonMaxSize), max: Double(pythonMaxSize))],
        outputs: [OutputSpec("FLOAT")], pythonModule: "comfy_extras.nodes_primitive")

    public init() {}
}

public struct PrimitiveString: PrimitiveValueNode {
    public typealias Value = String

    public static let schema = NodeSchema(
        name: "PrimitiveString", displayName: "String", category: primitiveCategory,
        inputs: [.string("value")], outputs: [OutputSpec("STRING")], pythonModule: "comfy_extras.nodes_primitive")

    public init() {}
}

public struct PrimitiveStringMultiline: PrimitiveValueNode {
    public typealias Value = String

    public static let schema = NodeSchema(
        name: "PrimitiveStringMultiline", displayName: "String (Multiline)", category: primitiveCategory,
        inputs: [.string("value", multiline: true)], outputs: [OutputSpec("STRING")],
        pythonModule: "comfy_extras.nodes_primitive")

    public init() {}
}

public struct PrimitiveBoolean: PrimitiveValueNode {
    public typealias Value = Bool

    public static let schema = NodeSchema(
        name: "PrimitiveBoolean", displayName: "Boolean", category: primitiveCategory,
        inputs: [.boolean("value")], outputs: [OutputSpec("BOOLEAN")], pythonModule: "comfy_extras.nodes_primitive")

    public init() {}
}
