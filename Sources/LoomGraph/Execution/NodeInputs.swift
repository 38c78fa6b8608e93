/// A node's input values by name, as the executor hands them over.
public struct NodeInputs: Sendable {
    public var values: [String: NodeValue]
    /// Inputs fed by a link, evaluated or not.
    public var linkedNames: Set<String>
    public let nodeID: String
    public let classType: String

    public init(
        _ values: [String: NodeValue], linkedNames: Set<String> = [], nodeID: String = "", classType: String = ""
    ) {
        self.values = values
        self.linkedNames = linkedNames
        self.nodeID = nodeID
        self.classType = classType
    }

    public func has(_ name: String) -> Bool { values[name] != nil }
    public func isLinked(_ name: String) -> Bool { linkedNames.contains(name) }

    /// A required input of type `T`.
    public func callAsFunction<T>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let value = values[name] else {
            throw NodeInputError(node: nodeID, classType: classType, input: name, problem: "has no value")
        }
        if let typed = value as? T { return typed }
        // Literal numbers may arrive as either kind; convert where no information is lost.
        if T.self == Double.self, let int = value as? Int { return Double(int) as! T }
        if T.self == Int.self, let double = value as? Double, let int = Int(exactly: double) { return int as! T }
        throw NodeInputError(
            node: nodeID, classType: classType, input: name,
            problem: "received \(Self.describe(value)), expected \(Self.typeName(T.self))")
    }

    /// A value as a message shows it: ComfyUI's type names for widget values, a literal as its JSON text, other
    /// values by their type, never Swift's own printing of an enum.
    public static func describe(_ value: NodeValue) -> String {
        switch value {
        case let json as JSONValue: "the literal \(json.jsonText(indent: nil).prefix(80))"
        case let int as Int: "INT \(int)"
        case let double as Double: "FLOAT \(LiteralCoercion.pythonString(.double(double)))"
        case let bool as Bool: "BOOLEAN \(bool ? "True" : "False")"
        case is String: "a STRING"
        default: "a \(typeName(type(of: value)))"
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "INT"
        case is Double.Type: "FLOAT"
        case is Bool.Type: "BOOLEAN"
        case is String.Type: "STRING"
        default: String(describing: type)
        }
    }

    /// An optional input: `nil` when absent.
    public func optional<T>(_ name: String, as type: T.Type = T.self) throws -> T? {
        values[name] == nil ? nil : try self(name, as: type)
    }

    /// A whole list, for nodes that take inputs as lists.
    public func list<T>(_ name: String, of type: T.Type = T.self) throws -> [T] {
        guard let value = values[name] else { return [] }
        guard let items = value as? [NodeValue] else { return [try self(name, as: type)] }
        return try items.enumerated().map { offset, item in
            guard let typed = item as? T else {
                throw NodeInputError(
                    node: nodeID, classType: classType, input: name,
                    problem: "element \(offset) is \(Self.describe(item)), expected \(Self.typeName(T.self))")
            }
            return typed
        }
    }
}

public struct NodeInputError: Error, CustomStringConvertible {
    public var node: String
    public var classType: String
    public var input: String
    public var problem: String
    public var description: String { "node \(node) (\(classType)): input '\(input)' \(problem)" }
}
