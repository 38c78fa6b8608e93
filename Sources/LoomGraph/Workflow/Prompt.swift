/// A workflow in ComfyUI's API ("prompt") format: nodes by id, each with a class and its inputs.
public struct Prompt: Sendable, Equatable {
    public private(set) var nodes: [PromptNode] = []
    private var positions: [String: Int] = [:]

    public init(nodes: [PromptNode] = []) {
        for node in nodes { insert(node) }
    }

    public subscript(id: String) -> PromptNode? {
        get { positions[id].map { nodes[$0] } }
        set {
            if let newValue {
                precondition(newValue.id == id, "a node stored under id \(id) must carry that id")
                insert(newValue)
            } else if let position = positions[id] {
                nodes.remove(at: position)
                positions = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1.id, $0) })
            }
        }
    }

    public mutating func insert(_ node: PromptNode) {
        if let position = positions[node.id] {
            nodes[position] = node
        } else {
            positions[node.id] = nodes.count
            nodes.append(node)
        }
    }

    public var ids: [String] { nodes.map(\.id) }

    public static func == (lhs: Prompt, rhs: Prompt) -> Bool {
        lhs.nodes.count == rhs.nodes.count && lhs.nodes.allSatisfy { rhs[$0.id] == $0 }
    }
}

public struct PromptNode: Sendable, Equatable {
    public var id: String
    public var classType: String
    public var inputs: [(name: String, value: PromptInput)]
    /// `_meta` as written; ComfyUI ignores it but the UI shows its title.
    public var meta: JSONObject?
    /// A fingerprint a client supplied in place of calling the node's own (`is_changed`).
    public var isChanged: JSONValue?

    public init(
        id: String, classType: String, inputs: [(name: String, value: PromptInput)] = [], title: String? = nil
    ) {
        self.id = id
        self.classType = classType
        self.inputs = inputs
        self.meta = title.map { ["title": .string($0)] }
    }

    public var title: String? { meta?["title"]?.stringValue }

    /// The UI group the node belongs to (`_meta.group`, which ComfyUI ignores); the UI writer draws one box per group.
    public var group: String? {
        get { meta?["group"]?.stringValue }
        set {
            var fields = meta ?? [:]
            fields["group"] = newValue.map(JSONValue.string)
            meta = fields.isEmpty ? nil : fields
        }
    }

    public subscript(input name: String) -> PromptInput? {
        get { inputs.first { $0.name == name }?.value }
        set {
            if let index = inputs.firstIndex(where: { $0.name == name }) {
                if let newValue { inputs[index].value = newValue } else { inputs.remove(at: index) }
            } else if let newValue {
                inputs.append((name, newValue))
            }
        }
    }

    public var links: [(name: String, link: NodeLink)] {
        inputs.compactMap { entry in
            if case .link(let link) = entry.value { (entry.name, link) } else { nil }
        }
    }

    public static func == (lhs: PromptNode, rhs: PromptNode) -> Bool {
        lhs.id == rhs.id && lhs.classType == rhs.classType && lhs.meta == rhs.meta && lhs.isChanged == rhs.isChanged
            && lhs.inputs.count == rhs.inputs.count
            && lhs.inputs.allSatisfy { entry in rhs[input: entry.name] == entry.value }
    }
}

/// The output slot of another node.
public struct NodeLink: Sendable, Hashable, CustomStringConvertible {
    public var node: String
    public var output: Int

    public init(node: String, output: Int) {
        self.node = node
        self.output = output
    }

    public var description: String { "[\"\(node)\", \(output)]" }
}

public enum PromptInput: Sendable, Equatable {
    case link(NodeLink)
    case literal(JSONValue)
    /// A JSON list that is neither a `[node id, output index]` pair nor wrapped in `__value__`;
    /// kept so validation can report it as ComfyUI does (`bad_linked_input`).
    case malformedLink(JSONValue)
}
