/// Why a document could not be read as a workflow at all.
public struct WorkflowFormatError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Prompt {
    /// Reads an API-format prompt: `{"id": {"class_type", "inputs", "_meta"}}`.
    public init(json: JSONValue) throws(WorkflowFormatError) {
        guard case .object(let object) = json else {
            throw WorkflowFormatError("an API-format workflow is a JSON object of nodes by id, found \(json.pythonTypeName)")
        }
        self.init()
        for (id, value) in object {
            guard case .object(let fields) = value else {
                throw WorkflowFormatError("node \(id) is a \(value.pythonTypeName), expected an object with class_type and inputs")
            }
            guard let classType = fields["class_type"]?.stringValue else {
                throw WorkflowFormatError("node \(id) has no class_type")
            }
            var node = PromptNode(id: id, classType: classType)
            if let inputs = fields["inputs"] {
                guard case .object(let inputObject) = inputs else {
                    throw WorkflowFormatError("node \(id) (\(classType)): inputs must be an object")
                }
                node.inputs = inputObject.map { ($0.key, PromptInput(json: $0.value)) }
            }
            node.meta = fields["_meta"]?.objectValue
            node.isChanged = fields["is_changed"]
            insert(node)
        }
    }

    public init(parsing text: String) throws {
        try self.init(json: JSONValue(parsing: text))
    }

    /// The API-format JSON ComfyUI accepts.
    public var json: JSONValue {
        var object = JSONObject()
        for node in nodes {
            var fields = JSONObject()
            fields["inputs"] = .object(JSONObject(node.inputs.map { ($0.name, $0.value.json) }))
            fields["class_type"] = .string(node.classType)
            if let meta = node.meta { fields["_meta"] = .object(meta) }
            if let isChanged = node.isChanged { fields["is_changed"] = isChanged }
            object[node.id] = .object(fields)
        }
        return .object(object)
    }
}

extension PromptInput {
    public init(json: JSONValue) {
        switch json {
        case .array(let items):
            if items.count == 2, let output = items[1].intValue, case .int = items[1] {
                switch items[0] {
                case .string(let id): self = .link(NodeLink(node: id, output: output)); return
                case .int(let id): self = .link(NodeLink(node: String(id), output: output)); return
                default: break
                }
            }
            self = .malformedLink(json)
        case .object(let object) where object.count == 1 && object["__value__"] != nil:
            self = .literal(object["__value__"]!)
        default:
            self = .literal(json)
        }
    }

    public var json: JSONValue {
        switch self {
        case .link(let link): .array([.string(link.node), .int(link.output)])
        case .literal(.array(let items)): .object(["__value__": .array(items)])
        case .literal(let value): value
        case .malformedLink(let value): value
        }
    }
}

/// A request body for ComfyUI's `POST /prompt`, also accepted from files.
public struct PromptRequest: Sendable {
    public var prompt: Prompt
    public var clientID: String?
    public var promptID: String?
    public var extraData: JSONObject
    public var partialExecutionTargets: [String]?
    public var front: Bool
    public var number: Double?

    public init(prompt: Prompt, extraData: JSONObject = [:]) {
        self.prompt = prompt
        self.extraData = extraData
        self.front = false
    }

    public init(json: JSONValue) throws(WorkflowFormatError) {
        guard let object = json.objectValue, let promptJSON = object["prompt"] else {
            throw WorkflowFormatError("a prompt request is an object with a \"prompt\" field")
        }
        self.init(prompt: try Prompt(json: promptJSON), extraData: object["extra_data"]?.objectValue ?? [:])
        clientID = object["client_id"]?.stringValue
        promptID = object["prompt_id"]?.stringValue
        front = object["front"]?.boolValue ?? false
        number = object["number"]?.doubleValue
        if let targets = object["partial_execution_targets"] {
            guard let list = targets.arrayValue else {
                throw WorkflowFormatError("partial_execution_targets must be a list of node ids")
            }
            partialExecutionTargets = list.map { $0.stringValue ?? $0.jsonText(indent: nil) }
        }
    }
}
