import Yams

/// Turns YAML nodes into JSON values within a budget. An alias shares its anchored node, so a file of a few
/// hundred bytes can name 10⁹ copies of a value (an "alias bomb"); every value and every byte of text the
/// expansion produces is charged, and it stops with an error when the budget is spent.
struct YAMLExpansion {
    private var remaining: Int

    init(budget: Int) {
        remaining = budget
    }

    mutating func json(_ node: Yams.Node) throws(WorkflowFormatError) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            try charge(1 + scalar.string.utf8.count)
            return YAMLWorkflowFormat.json(scalar)
        case .sequence(let sequence):
            try charge(1)
            var items: [JSONValue] = []
            for item in sequence { items.append(try json(item)) }
            return .array(items)
        case .mapping(let mapping):
            try charge(1)
            var object = JSONObject()
            for (key, value) in mapping {
                try charge(key.string?.utf8.count ?? 0)
                object[key.string ?? ""] = try json(value)
            }
            return .object(object)
        case .alias:
            return .null
        }
    }

    private mutating func charge(_ cost: Int) throws(WorkflowFormatError) {
        remaining -= cost
        guard remaining >= 0 else {
            throw WorkflowFormatError(
                "the YAML workflow expands to far more than its own size: aliases (*name) repeat large anchored values")
        }
    }
}
