/// The node classes an engine knows, by ComfyUI class name.
public struct NodeRegistry: Sendable {
    public private(set) var types: [String: any Node.Type] = [:]
    /// Registration order, which `loom nodes` and `/object_info` follow.
    public private(set) var names: [String] = []

    public init(_ nodeTypes: [any Node.Type] = []) {
        for type in nodeTypes { register(type) }
    }

    public mutating func register(_ type: any Node.Type) {
        let name = type.schema.name
        if types[name] == nil { names.append(name) }
        types[name] = type
    }

    public subscript(name: String) -> (any Node.Type)? { types[name] }

    public func schema(for name: String) -> NodeSchema? { types[name]?.schema }

    public var schemas: [NodeSchema] { names.map { types[$0]!.schema } }
}
