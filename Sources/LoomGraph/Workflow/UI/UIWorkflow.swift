/// A workflow as ComfyUI's web UI saves it (schema 0.4 and 1): nodes with positional widget values,
/// links between slots, and subgraph definitions.
public struct UIWorkflow: Sendable {
    /// The document as read; kept whole so it can be embedded in output files unchanged.
    public var json: JSONObject
    public var root: UIGraph
    /// Subgraph definitions by id, nested definitions included.
    public var subgraphs: [String: UIGraph]

    public init(json value: JSONValue) throws(WorkflowFormatError) {
        guard case .object(let object) = value else {
            throw WorkflowFormatError("a UI workflow is a JSON object with nodes and links")
        }
        json = object
        root = try UIGraph(object, name: "workflow")
        subgraphs = [:]
        var pending = object["definitions"]?["subgraphs"]?.arrayValue ?? []
        while let definition = pending.popLast() {
            guard case .object(let fields) = definition, let id = fields["id"]?.stringValue else {
                throw WorkflowFormatError("a subgraph definition has no id")
            }
            subgraphs[id] = try UIGraph(fields, name: fields["name"]?.stringValue ?? id)
            pending += fields["definitions"]?["subgraphs"]?.arrayValue ?? []
        }
    }

    /// Whether a document looks like a UI workflow rather than an API prompt.
    public static func isUIWorkflow(_ value: JSONValue) -> Bool {
        value["nodes"]?.arrayValue != nil && value["links"] != nil
    }
}

/// The root graph or one subgraph definition.
public struct UIGraph: Sendable {
    public var name: String
    public var nodes: [UINode]
    public var links: [Int: UILink]
    /// A subgraph's own input and output slots, in order.
    public var inputs: [UISlot]
    public var outputs: [UISlot]

    init(_ object: JSONObject, name: String) throws(WorkflowFormatError) {
        self.name = name
        guard let nodeList = object["nodes"]?.arrayValue else {
            throw WorkflowFormatError("\(name): no \"nodes\" list")
        }
        nodes = []
        for entry in nodeList { nodes.append(try UINode(entry, graph: name)) }
        links = [:]
        for entry in object["links"]?.arrayValue ?? [] {
            let link = try UILink(entry, graph: name)
            links[link.id] = link
        }
        inputs = (object["inputs"]?.arrayValue ?? []).map(UISlot.init)
        outputs = (object["outputs"]?.arrayValue ?? []).map(UISlot.init)
    }

    public func node(_ id: String) -> UINode? { nodes.first { $0.id == id } }
}

public struct UISlot: Sendable {
    public var name: String
    public var type: String

    init(_ value: JSONValue) {
        name = value["name"]?.stringValue ?? ""
        type = value["type"].map(UINode.typeName) ?? "*"
    }
}

public struct UINode: Sendable {
    /// The node runs (0), is muted and never runs (2), or is bypassed, passing inputs through (4).
    public enum Mode: Int, Sendable {
        case always = 0, onEvent = 1, never = 2, onTrigger = 3, bypass = 4
    }

    public var id: String
    public var type: String
    public var mode: Mode
    public var title: String?
    public var inputs: [Input]
    public var outputs: [Output]
    public var widgetsValues: JSONValue?
    public var properties: JSONObject

    public struct Input: Sendable {
        public var name: String
        public var type: String
        public var link: Int?
        /// Set when the slot feeds a widget, i.e. a widget converted to an input.
        public var widgetName: String?
    }

    public struct Output: Sendable {
        public var name: String
        public var type: String
    }

    init(_ value: JSONValue, graph: String) throws(WorkflowFormatError) {
        guard case .object(let fields) = value else { throw WorkflowFormatError("\(graph): a node entry is not an object") }
        guard let id = fields["id"].flatMap(UINode.identifier) else {
            let found = fields["id"].map { " (found \($0.jsonText(indent: nil).prefix(40)))" } ?? ""
            throw WorkflowFormatError("\(graph): a node has no id\(found); ids are integers or strings")
        }
        guard let type = fields["type"]?.stringValue else {
            throw WorkflowFormatError("\(graph): node \(id) has no type")
        }
        self.id = id
        self.type = type
        mode = Mode(rawValue: fields["mode"]?.intValue ?? 0) ?? .always
        title = fields["title"]?.stringValue
        inputs = (fields["inputs"]?.arrayValue ?? []).map { input in
            Input(
                name: input["name"]?.stringValue ?? "", type: input["type"].map(UINode.typeName) ?? "*",
                link: input["link"]?.intValue, widgetName: input["widget"]?["name"]?.stringValue)
        }
        outputs = (fields["outputs"]?.arrayValue ?? []).map { output in
            Output(name: output["name"]?.stringValue ?? "", type: output["type"].map(UINode.typeName) ?? "*")
        }
        widgetsValues = fields["widgets_values"]
        properties = fields["properties"]?.objectValue ?? [:]
    }

    /// Widgets of inner nodes that a subgraph instance shows as its own (`proxyWidgets`), with the instance's
    /// values for them: inner node id → widget name → value.
    var promotedWidgetValues: [String: [String: JSONValue]] {
        guard let entries = properties["proxyWidgets"]?.arrayValue, case .array(let values)? = widgetsValues else {
            return [:]
        }
        var result: [String: [String: JSONValue]] = [:]
        for (index, entry) in entries.enumerated() where index < values.count {
            guard let pair = entry.arrayValue, pair.count == 2, let node = UINode.identifier(pair[0]),
                let widget = pair[1].stringValue
            else { continue }
            result[node, default: [:]][widget] = values[index]
        }
        return result
    }

    static func identifier(_ value: JSONValue) -> String? {
        switch value {
        case .int(let number): String(number)
        case .string(let text): text
        case .unsignedInt(let number): String(number)
        case .double(let number): Int(exactly: number).map(String.init)
        default: nil
        }
    }

    /// Slot types are strings, except that the UI writes `0` or `-1` for "any" in places.
    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text.isEmpty ? "*" : text
        default: "*"
        }
    }
}

public struct UILink: Sendable {
    public var id: Int
    public var originID: String
    public var originSlot: Int
    public var targetID: String
    public var targetSlot: Int
    public var type: String

    /// Subgraph links start at this pseudo-node when they come from the subgraph's inputs...
    public static let subgraphInput = "-10"
    /// ...and end at this one when they feed its outputs.
    public static let subgraphOutput = "-20"

    init(_ value: JSONValue, graph: String) throws(WorkflowFormatError) {
        switch value {
        case .array(let items) where items.count >= 5:
            guard let id = items[0].intValue, let origin = UINode.identifier(items[1]), let originSlot = items[2].intValue,
                let target = UINode.identifier(items[3]), let targetSlot = items[4].intValue
            else { throw WorkflowFormatError("\(graph): malformed link \(value.jsonText(indent: nil))") }
            self.init(id: id, originID: origin, originSlot: originSlot, targetID: target, targetSlot: targetSlot,
                      type: items.count > 5 ? UINode.typeName(items[5]) : "*")
        case .object:
            guard let id = value["id"]?.intValue, let origin = value["origin_id"].flatMap(UINode.identifier),
                let originSlot = value["origin_slot"]?.intValue, let target = value["target_id"].flatMap(UINode.identifier),
                let targetSlot = value["target_slot"]?.intValue
            else { throw WorkflowFormatError("\(graph): malformed link \(value.jsonText(indent: nil))") }
            self.init(id: id, originID: origin, originSlot: originSlot, targetID: target, targetSlot: targetSlot,
                      type: value["type"].map(UINode.typeName) ?? "*")
        default:
            throw WorkflowFormatError("\(graph): malformed link \(value.jsonText(indent: nil))")
        }
    }

    init(id: Int, originID: String, originSlot: Int, targetID: String, targetSlot: Int, type: String) {
        self.id = id
        self.originID = originID
        self.originSlot = originSlot
        self.targetID = targetID
        self.targetSlot = targetSlot
        self.type = type
    }
}
