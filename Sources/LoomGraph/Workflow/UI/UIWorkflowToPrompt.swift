/// Turns a saved UI workflow into the API prompt the server runs, as ComfyUI's frontend does in the browser:
/// widget values mapped by position onto the node schema, reroutes and primitives resolved, muted nodes dropped,
/// bypassed nodes routed around, and subgraphs flattened to `outer:inner` ids.
public struct UIWorkflowConverter: Sendable {
    public var registry: NodeRegistry

    public init(registry: NodeRegistry) {
        self.registry = registry
    }

    /// Frontend-only nodes that never reach the server.
    static let virtualTypes: Set<String> = ["Reroute", "PrimitiveNode", "Note", "MarkdownNote"]
    static let maximumDepth = 64
    /// The most nodes flattening may produce: subgraphs instantiated inside subgraphs multiply, so twelve
    /// levels of ten instances would otherwise make 10¹² nodes from a small file.
    static let maximumNodeCount = 100_000

    public func prompt(from workflow: UIWorkflow) throws(WorkflowFormatError) -> Prompt {
        var counts: [String: Int] = [:]
        let total = try Self.flattenedNodeCount(of: workflow.root, in: workflow, depth: 0, counts: &counts)
        guard total <= Self.maximumNodeCount else {
            throw WorkflowFormatError(
                "the workflow's subgraphs flatten to more than \(Self.maximumNodeCount) nodes (instances nested in instances multiply)")
        }
        var prompt = Prompt()
        var work: [(Scope, Int)] = [(Scope(graph: workflow.root, path: [], instance: nil), 0)]
        var next = 0
        while next < work.count {
            let (scope, depth) = work[next]
            next += 1
            for node in scope.graph.nodes where node.mode != .never && node.mode != .bypass {
                if let definition = workflow.subgraphs[node.type] {
                    guard depth < Self.maximumDepth else {
                        throw WorkflowFormatError("subgraph \(definition.name) contains itself (node \(scope.id(of: node)))")
                    }
                    let instance = Reference(node: node, scope: scope)
                    work.append((Scope(graph: definition, path: scope.path + [node.id], instance: instance), depth + 1))
                    continue
                }
                if Self.virtualTypes.contains(node.type) { continue }
                if node.type.hasPrefix("workflow>") || node.type.hasPrefix("workflow/") {
                    throw WorkflowFormatError(
                        "node \(scope.id(of: node)) is a legacy group node (\(node.type)); Loom reads subgraphs, their successor: open the workflow in a current ComfyUI frontend and convert the group node to a subgraph")
                }
                prompt.insert(try promptNode(for: node, in: scope, workflow: workflow))
            }
        }
        return prompt
    }

    /// The number of nodes `graph` flattens to, counting each subgraph definition once (`counts`) and capped
    /// just above `maximumNodeCount`.
    static func flattenedNodeCount(
        of graph: UIGraph, in workflow: UIWorkflow, depth: Int, counts: inout [String: Int]
    ) throws(WorkflowFormatError) -> Int {
        var total = 0
        for node in graph.nodes where node.mode != .never && node.mode != .bypass {
            guard let definition = workflow.subgraphs[node.type] else {
                total += 1
                continue
            }
            guard depth < maximumDepth else {
                throw WorkflowFormatError("subgraph \(definition.name) contains itself (node \(node.id))")
            }
            if counts[node.type] == nil {
                counts[node.type] = try flattenedNodeCount(of: definition, in: workflow, depth: depth + 1, counts: &counts)
            }
            total += counts[node.type] ?? 0
            if total > maximumNodeCount { return maximumNodeCount + 1 }
        }
        return total
    }

    private func promptNode(for node: UINode, in scope: Scope, workflow: UIWorkflow) throws(WorkflowFormatError) -> PromptNode {
        let schema = registry.schema(for: node.type)
        var result = PromptNode(id: scope.id(of: node), classType: node.type)
        if let schema {
            let promoted = scope.instance?.node.promotedWidgetValues[node.id] ?? [:]
            for (name, value) in try widgetValues(of: node, schema: schema, at: result.id) {
                result[input: name] = .literal(promoted[name] ?? value)
            }
        }
        for (index, input) in node.inputs.enumerated() {
            let resolver = Resolver(workflow: workflow)
            guard let resolved = try resolver.resolveInput(Reference(node: node, scope: scope), slot: index, depth: 0) else {
                continue
            }
            switch resolved {
            case .output(let id, let slot): result[input: input.name] = .link(NodeLink(node: id, output: slot))
            case .value(let value): result[input: input.name] = .literal(value)
            case .removed: result[input: input.name] = nil
            }
        }
        result.meta = ["title": .string(node.title ?? schema?.displayName ?? node.type)]
        return result
    }

    /// The node's widget inputs paired with `widgets_values`, following the order in which the web UI creates
    /// widgets: each widget input in schema order, plus the values the UI stores but never sends
    /// (`control_after_generate` after seeds, the upload button after image pickers).
    func widgetValues(of node: UINode, schema: NodeSchema, at id: String) throws(WorkflowFormatError) -> [(String, JSONValue)] {
        guard let stored = node.widgetsValues else { return [] }
        if case .object(let named) = stored {
            return schema.widgetInputs.compactMap { spec in named[spec.name].map { (spec.name, $0) } }
        }
        guard case .array(let values) = stored else {
            throw WorkflowFormatError("node \(id) (\(node.type)): widgets_values is neither a list nor an object")
        }
        var result: [(String, JSONValue)] = []
        var index = 0
        var uploadPending = schema.inputs.contains { spec in
            if case .combo(let options) = spec.kind, options.uploadsImage, spec.section == .required { true } else { false }
        }
        for spec in schema.widgetInputs {
            if uploadPending, spec.section != .required {
                index += 1
                uploadPending = false
            }
            guard index < values.count else { break }
            result.append((spec.name, values[index]))
            index += 1 + extraStoredValues(after: spec)
        }
        return result
    }

    func extraStoredValues(after spec: InputSpec) -> Int {
        switch spec.kind {
        case .int where spec.controlAfterGenerate || spec.name == "seed" || spec.name == "noise_seed": 1
        case .combo where spec.controlAfterGenerate: 2
        default: 0
        }
    }
}

/// Where a node sits: the graph it belongs to and the chain of subgraph instances around it.
final class Scope: Sendable {
    let graph: UIGraph
    let path: [String]
    let instance: Reference?

    init(graph: UIGraph, path: [String], instance: Reference?) {
        self.graph = graph
        self.path = path
        self.instance = instance
    }

    func id(of node: UINode) -> String { (path + [node.id]).joined(separator: ":") }
}

struct Reference: Sendable {
    let node: UINode
    let scope: Scope
}

/// Follows links through reroutes, primitives, bypassed nodes and subgraph boundaries to the node that really
/// produces a value.
struct Resolver {
    let workflow: UIWorkflow

    enum Resolved {
        case output(id: String, slot: Int)
        case value(JSONValue)
        /// Fed by a muted node: the input is dropped, widget value included, as the web UI does.
        case removed
    }

    func resolveInput(_ reference: Reference, slot: Int, depth: Int) throws(WorkflowFormatError) -> Resolved? {
        guard depth < 4096 else {
            throw WorkflowFormatError("circular reference while resolving input \(slot) of node \(reference.scope.id(of: reference.node))")
        }
        let node = reference.node
        guard node.inputs.indices.contains(slot), let linkID = node.inputs[slot].link,
            let link = reference.scope.graph.links[linkID]
        else { return nil }
        if link.originID == UILink.subgraphInput {
            guard let instance = reference.scope.instance else { return nil }
            return try resolveInput(instance, slot: link.originSlot, depth: depth + 1)
        }
        guard let origin = reference.scope.graph.node(link.originID) else { return nil }
        return try resolveOutput(
            Reference(node: origin, scope: reference.scope), slot: link.originSlot, type: node.inputs[slot].type,
            depth: depth + 1)
    }

    func resolveOutput(_ reference: Reference, slot: Int, type: String, depth: Int) throws(WorkflowFormatError) -> Resolved? {
        let node = reference.node
        switch node.mode {
        case .never: return .removed
        case .bypass:
            let index = bypassInput(of: node, for: slot, type: type)
            return index < 0 ? nil : try resolveInput(reference, slot: index, depth: depth + 1)
        default: break
        }
        if let definition = workflow.subgraphs[node.type] {
            guard let inner = definition.links.values.first(where: {
                $0.targetID == UILink.subgraphOutput && $0.targetSlot == slot
            }) else { return nil }
            if inner.originID == UILink.subgraphInput {
                return try resolveInput(reference, slot: inner.originSlot, depth: depth + 1)
            }
            guard let origin = definition.node(inner.originID) else { return nil }
            let scope = Scope(graph: definition, path: reference.scope.path + [node.id], instance: reference)
            return try resolveOutput(Reference(node: origin, scope: scope), slot: inner.originSlot, type: type, depth: depth + 1)
        }
        switch node.type {
        case "Reroute":
            return try resolveInput(reference, slot: 0, depth: depth + 1)
        case "PrimitiveNode":
            guard case .array(let values)? = node.widgetsValues, let first = values.first else { return nil }
            return .value(first)
        case "Note", "MarkdownNote":
            return nil
        default:
            return .output(id: reference.scope.id(of: node), slot: slot)
        }
    }

    /// Which input a bypassed node passes to output `slot`: the same index when the types fit,
    /// else the first input of exactly the wanted type, else the first compatible one.
    func bypassInput(of node: UINode, for slot: Int, type: String) -> Int {
        if type == "*" || type.isEmpty { return node.inputs.indices.contains(slot) ? slot : 0 }
        let outputType = node.outputs.indices.contains(slot) ? node.outputs[slot].type : "*"
        if node.inputs.indices.contains(slot), Self.connectable(node.inputs[slot].type, outputType),
            Self.connectable(node.inputs[slot].type, type)
        {
            return slot
        }
        if let exact = node.inputs.firstIndex(where: { $0.type == type }) { return exact }
        return node.inputs.firstIndex { Self.connectable($0.type, outputType) && Self.connectable($0.type, type) } ?? -1
    }

    /// The web UI's slot compatibility: `*` matches all, names compare case-insensitively, lists intersect.
    static func connectable(_ a: String, _ b: String) -> Bool {
        if a == "*" || b == "*" || a.isEmpty || b.isEmpty { return true }
        let left = Set(a.lowercased().split(separator: ","))
        let right = Set(b.lowercased().split(separator: ","))
        return !left.isDisjoint(with: right)
    }
}
