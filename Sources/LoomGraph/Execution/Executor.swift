import Foundation

/// Runs validated prompts: only the nodes the outputs need, each at most once, outputs passed by reference,
/// results re-used from the cache while their signatures stay the same.
public actor Executor {
    public let registry: NodeRegistry
    public let resources: Resources
    public var cache: any OutputCache
    private var instances: [InstanceKey: any Node] = [:]

    private struct InstanceKey: Hashable {
        var id: String
        var classType: String
    }

    public init(registry: NodeRegistry, resources: Resources = Resources(), cache: any OutputCache = MemoryOutputCache()) {
        self.registry = registry
        self.resources = resources
        self.cache = cache
    }

    public func setCache(_ cache: any OutputCache) {
        self.cache = cache
    }

    /// Forgets cached outputs and node instances (ComfyUI's `/free`).
    public func free() {
        cache.removeAll()
        instances.removeAll()
    }

    public func run(
        _ validated: ValidatedPrompt,
        promptID: String = UUID().uuidString.lowercased(),
        extraData: JSONObject = [:],
        interruption: Interruption = Interruption(),
        events: @escaping @Sendable (ExecutionEvent) -> Void = { _ in }
    ) async -> ExecutionOutcome {
        var run = PromptRun(
            prompt: validated.prompt, promptID: promptID, extraData: extraData, registry: registry,
            resources: resources, cache: cache, interruption: interruption, events: events)
        return await run.execute(targets: validated.outputs) { id, classType in
            await self.instance(id: id, classType: classType)
        }
    }

    private func instance(id: String, classType: String) -> any Node {
        let key = InstanceKey(id: id, classType: classType)
        if let existing = instances[key] { return existing }
        let created = registry[classType]!.init()
        instances[key] = created
        return created
    }
}

/// The state of one prompt's execution.
private struct PromptRun {
    /// Grows while running when nodes expand into sub-graphs.
    var prompt: Prompt
    let promptID: String
    let extraData: JSONObject
    let registry: NodeRegistry
    let resources: Resources
    let cache: any OutputCache
    let interruption: Interruption
    let events: @Sendable (ExecutionEvent) -> Void

    var results: [String: NodeOutput] = [:]
    var signatures: [String: Signature] = [:]
    var volatile: Set<String> = []
    var executed: [String] = []
    var cachedNodes: [String] = []
    var uiOutputs: [String: JSONObject] = [:]
    var schedule = ReadyQueue()
    /// Lazy inputs each node has asked for so far.
    var requestedLazy: [String: Set<String>] = [:]
    /// Nodes that expanded into a sub-graph, with where their outputs will come from.
    var pendingExpansions: [String: [PendingCall]] = [:]

    /// One call of a node that expanded: either its plain result or where its expansion's outputs come from.
    enum PendingCall {
        case finished(NodeResult)
        case expanded(outputs: [PromptInput])
    }
    lazy var promptJSON: JSONValue = prompt.json

    init(
        prompt: Prompt, promptID: String, extraData: JSONObject, registry: NodeRegistry, resources: Resources,
        cache: any OutputCache, interruption: Interruption, events: @escaping @Sendable (ExecutionEvent) -> Void
    ) {
        self.prompt = prompt
        self.promptID = promptID
        self.extraData = extraData
        self.registry = registry
        self.resources = resources
        self.cache = cache
        self.interruption = interruption
        self.events = events
    }

    mutating func execute(
        targets: [String], instance: @Sendable (String, String) async -> any Node
    ) async -> ExecutionOutcome {
        events(.started(promptID: promptID))
        let computed = SignatureBuilder(prompt: prompt, registry: registry, resources: resources).signatures(for: targets)
        signatures = computed.signatures
        volatile = computed.volatile
        let hits = prompt.nodes.map(\.id).filter { id in signatures[id].map(cache.contains) ?? false }
        cachedNodes = hits
        events(.cached(promptID: promptID, nodes: hits))

        for target in targets { stage(target) }
        var outcome: ExecutionOutcome.Status = .succeeded
        while let id = schedule.next() {
            if interruption.isRequested {
                outcome = .interrupted(node: id)
                events(.interrupted(promptID: promptID, node: id, nodeType: prompt[id]?.classType, executed: executed))
                break
            }
            do {
                try await executeNode(id, instance: await instance(id, prompt[id]!.classType))
            } catch let failure as ExecutionFailure {
                outcome = .failed(failure)
                events(.failed(failure))
                break
            } catch is ExecutionInterrupted {
                outcome = .interrupted(node: id)
                events(.interrupted(promptID: promptID, node: id, nodeType: prompt[id]?.classType, executed: executed))
                break
            } catch {
                let failure = makeFailure(id, error: error)
                outcome = .failed(failure)
                events(.failed(failure))
                break
            }
        }
        if case .succeeded = outcome, let stuck = schedule.firstWaiting {
            // Only an expansion can close a loop at run time: blame the node that expanded.
            let culprit = pendingExpansions.keys.sorted().first ?? stuck
            let failure = makeFailure(
                culprit, error: DependencyCycleError(message: "Dependency cycle detected: node \(culprit)'s expansion waits on itself"))
            outcome = .failed(failure)
            events(.failed(failure))
        }
        if case .succeeded = outcome { events(.succeeded(promptID: promptID)) }
        events(.executing(promptID: promptID, node: nil, displayNode: nil))
        return ExecutionOutcome(
            promptID: promptID, status: outcome, outputs: uiOutputs, executedNodes: executed, cachedNodes: cachedNodes)
    }

    // MARK: Scheduling

    /// Adds `root` and whatever it needs that has no result yet. Cached nodes resolve at once, so
    /// nothing upstream of them runs.
    mutating func stage(_ root: String) {
        var work = [root]
        while let id = work.popLast() {
            guard results[id] == nil, !schedule.contains(id), let node = prompt[id] else { continue }
            if let signature = signatures[id], let hit = cache.output(for: signature) {
                resolveFromCache(id, hit)
                continue
            }
            let missing = dependencies(of: node).filter { results[$0] == nil }
            schedule.add(id, waitingOn: Set(missing), isOutput: registry[node.classType]?.schema.isOutputNode ?? false)
            // Pushed in input order, so the first input ends up readied last and, being LIFO, runs first.
            work.append(contentsOf: missing)
        }
    }

    mutating func resolveFromCache(_ id: String, _ output: NodeOutput) {
        results[id] = output
        if let ui = output.ui {
            uiOutputs[id] = ui
            events(.executed(promptID: promptID, node: id, displayNode: id, output: ui))
        }
        schedule.resolve(id)
    }

    /// Linked inputs that must be evaluated before the node runs: every non-lazy link and the lazy ones asked for.
    func dependencies(of node: PromptNode) -> [String] {
        let schema = registry[node.classType]?.schema
        var seen: Set<String> = []
        var result: [String] = []
        for (name, link) in node.links {
            let isLazy = schema?.input(named: name)?.isLazy ?? false
            if isLazy && !(requestedLazy[node.id]?.contains(name) ?? false) { continue }
            if seen.insert(link.node).inserted { result.append(link.node) }
        }
        return result
    }

    // MARK: Running one node

    mutating func executeNode(_ id: String, instance: any Node) async throws {
        let node = prompt[id]!
        let type = registry[node.classType]!
        let schema = type.schema
        if let calls = pendingExpansions.removeValue(forKey: id) {
            try finish(id, with: merge(try calls.map { try result(of: id, from: $0, schema: schema) }, schema: schema))
            return
        }
        var lists = try gatherInputs(of: node, schema: schema)
        let linked = Set(node.links.map(\.name))
        let context = makeContext(for: id)

        if schema.inputs.contains(where: \.isLazy) {
            let available = NodeInputs(
                lists.compactMapValues { $0.first }, linkedNames: linked, nodeID: id, classType: node.classType)
            let needed = try await instance.neededLazyInputs(available, context: context)
            let newlyNeeded = needed.filter { name in
                guard node.links.contains(where: { $0.name == name }) else { return false }
                return requestedLazy[id]?.contains(name) != true
            }
            if !newlyNeeded.isEmpty {
                requestedLazy[id, default: []].formUnion(newlyNeeded)
                let missing = dependencies(of: node).filter { results[$0] == nil }
                if !missing.isEmpty {
                    schedule.requeue(id, waitingOn: Set(missing))
                    for dependency in missing { stage(dependency) }
                    return
                }
                lists = try gatherInputs(of: node, schema: schema)
            }
        }

        events(.executing(promptID: promptID, node: id, displayNode: id))
        let calls = try await call(instance, schema: schema, node: node, lists: lists, linked: linked, context: context)
        executed.append(id)
        if calls.contains(where: { $0.expansion != nil }) {
            var pending: [PendingCall] = []
            var needed: [String] = []
            for (index, call) in calls.enumerated() {
                guard let expansion = call.expansion else {
                    pending.append(.finished(call))
                    continue
                }
                // Each list element's expansion gets its own id prefix.
                let outputs = try splice(expansion, prefix: calls.count == 1 ? id : "\(id).\(index)", expanding: id)
                pending.append(.expanded(outputs: outputs))
                needed += outputs.compactMap { if case .link(let link) = $0 { link.node } else { nil } }
            }
            pendingExpansions[id] = pending
            schedule.requeue(id, waitingOn: Set(needed.filter { results[$0] == nil }))
            for node in needed { stage(node) }
            return
        }
        try finish(id, with: merge(calls, schema: schema))
    }

    mutating func finish(_ id: String, with output: NodeOutput) throws {
        results[id] = output
        if let signature = signatures[id] {
            cache.store(output, for: signature, persistent: isPersistable(id, output))
        }
        if let ui = output.ui {
            uiOutputs[id] = ui
            events(.executed(promptID: promptID, node: id, displayNode: id, output: ui))
        }
        schedule.resolve(id)
    }

    /// Outputs worth keeping beyond this process: deterministic, and not the result of an output node, whose
    /// side effect (a saved file) a new run should repeat.
    func isPersistable(_ id: String, _ output: NodeOutput) -> Bool {
        guard !volatile.contains(id), let node = prompt[id], let schema = registry[node.classType]?.schema else { return false }
        return !schema.isOutputNode && !output.slots.joined().contains { $0 is ExecutionBlocker }
    }

    /// Splices an expansion into the prompt under ids prefixed with `prefix`, returning where its outputs come from.
    mutating func splice(_ expansion: GraphExpansion, prefix: String, expanding id: String) throws -> [PromptInput] {
        let local = Set(expansion.nodes.map(\.id))
        func rewrite(_ input: PromptInput) -> PromptInput {
            guard case .link(let link) = input, local.contains(link.node) else { return input }
            return .link(NodeLink(node: "\(prefix).\(link.node)", output: link.output))
        }
        var added: [String] = []
        for var node in expansion.nodes {
            guard registry[node.classType] != nil else {
                throw makeFailure(id, error: NodeContractError(message: "expansion adds node \(node.id) of unknown class \(node.classType)"))
            }
            node.id = "\(prefix).\(node.id)"
            node.inputs = node.inputs.map { ($0.name, rewrite($0.value)) }
            prompt.insert(node)
            added.append(node.id)
        }
        let computed = SignatureBuilder(prompt: prompt, registry: registry, resources: resources).signatures(for: added)
        signatures.merge(computed.signatures, uniquingKeysWith: { existing, _ in existing })
        volatile.formUnion(computed.volatile)
        return expansion.outputs.map(rewrite)
    }

    /// The result a call stands for, once its expansion has run.
    func result(of id: String, from call: PendingCall, schema: NodeSchema) throws -> NodeResult {
        let sources: [PromptInput]
        switch call {
        case .finished(let result): return result
        case .expanded(let outputs): sources = outputs
        }
        guard sources.count == schema.outputs.count else {
            throw makeFailure(id, error: NodeContractError(message: "expansion gives \(sources.count) outputs, node declares \(schema.outputs.count)"))
        }
        let values: [NodeValue] = try sources.enumerated().map { index, source in
            let value: [NodeValue]
            switch source {
            case .link(let link):
                guard let output = results[link.node], output.slots.indices.contains(link.output) else {
                    throw makeFailure(id, error: NodeContractError(message: "expansion output refers to missing output \(link.output) of node \(link.node)"))
                }
                value = output.slots[link.output]
            case .literal(let literal):
                value = [LiteralCoercion.plainValue(literal)]
            case .malformedLink(let literal):
                throw makeFailure(id, error: NodeContractError(message: "malformed expansion output \(literal.jsonText(indent: nil))"))
            }
            // A list output takes the whole list; a plain one the single value it names.
            return schema.outputs[index].isList ? value as [NodeValue] : (value.count == 1 ? value[0] : value as [NodeValue])
        }
        return NodeResult(values)
    }

    /// Each input as a list of values, as ComfyUI passes them: literals become one-element lists.
    mutating func gatherInputs(of node: PromptNode, schema: NodeSchema) throws -> [String: [NodeValue]] {
        var lists: [String: [NodeValue]] = [:]
        for (name, input) in node.inputs {
            switch input {
            case .link(let link):
                guard let source = results[link.node] else { continue }
                guard source.slots.indices.contains(link.output) else {
                    throw makeFailure(node.id, error: NodeInputError(
                        node: node.id, classType: node.classType, input: name,
                        problem: "reads output \(link.output) of node \(link.node), which has \(source.slots.count)"))
                }
                lists[name] = source.slots[link.output]
            case .literal(let literal):
                switch LiteralCoercion.value(literal, for: schema.input(named: name)?.kind) {
                case .success(let value): lists[name] = [value]
                case .failure(let failure):
                    throw makeFailure(node.id, error: NodeInputError(
                        node: node.id, classType: node.classType, input: name, problem: failure.message))
                }
            case .malformedLink:
                continue
            }
        }
        for spec in schema.inputs {
            guard case .hidden(let hidden) = spec.kind else { continue }
            switch hidden {
            case .prompt: lists[spec.name] = [promptJSON]
            case .extraPNGInfo: lists[spec.name] = [extraData["extra_pnginfo"] ?? JSONValue.null]
            case .uniqueID: lists[spec.name] = [node.id]
            }
        }
        return lists
    }

    /// Calls the node once per list element (or once with whole lists), as ComfyUI maps nodes over lists.

    /// Calls the node once per list element (or once with whole lists), as ComfyUI maps nodes over lists.
    func call(
        _ instance: any Node, schema: NodeSchema, node: PromptNode, lists: [String: [NodeValue]], linked: Set<String>,
        context: NodeContext
    ) async throws -> [NodeResult] {
        var perCall: [NodeResult] = []
        let callCount: Int
        if schema.takesInputsAsLists {
            callCount = 1
        } else if lists.values.contains(where: \.isEmpty) {
            callCount = 0
        } else {
            callCount = lists.values.map(\.count).max() ?? 1
        }
        for index in 0..<callCount {
            try context.checkInterrupted()
            var values: [String: NodeValue] = [:]
            for (name, list) in lists {
                values[name] = schema.takesInputsAsLists ? list as [NodeValue] : list[min(index, list.count - 1)]
            }
            if let blocker = blocker(in: values, inputsAreLists: schema.takesInputsAsLists) {
                perCall.append(NodeResult(Array(repeating: report(blocker, node: node), count: schema.outputs.count)))
                continue
            }
            let inputs = NodeInputs(values, linkedNames: linked, nodeID: node.id, classType: node.classType)
            let result = try await instance.execute(inputs, context: context)
            guard result.outputs.count == schema.outputs.count || result.expansion != nil else {
                throw makeFailure(node.id, error: NodeContractError(
                    message: "\(node.classType) returned \(result.outputs.count) outputs but declares \(schema.outputs.count)"))
            }
            perCall.append(result)
        }
        return perCall
    }

    func blocker(in values: [String: NodeValue], inputsAreLists: Bool) -> ExecutionBlocker? {
        for value in values.values {
            if let blocker = value as? ExecutionBlocker { return blocker }
            if inputsAreLists, let list = value as? [NodeValue] {
                if let blocker = list.lazy.compactMap({ $0 as? ExecutionBlocker }).first { return blocker }
            }
        }
        return nil
    }

    /// A blocker with a message is reported once and travels on silently.
    func report(_ blocker: ExecutionBlocker, node: PromptNode) -> ExecutionBlocker {
        guard let message = blocker.message else { return blocker }
        events(.failed(ExecutionFailure(
            promptID: promptID, nodeID: node.id, nodeType: node.classType, nodeTitle: node.title, executed: executed,
            exceptionMessage: "Execution Blocked: \(message)", exceptionType: "ExecutionBlocked", traceback: [],
            currentInputs: [:], currentOutputs: [:])))
        return ExecutionBlocker(message: nil)
    }

    func merge(_ results: [NodeResult], schema: NodeSchema) -> NodeOutput {
        var slots: [[NodeValue]] = Array(repeating: [], count: schema.outputs.count)
        for result in results {
            for (index, value) in result.outputs.enumerated() where index < slots.count {
                if schema.outputs[index].isList, let list = value as? [NodeValue] {
                    slots[index].append(contentsOf: list)
                } else {
                    slots[index].append(value)
                }
            }
        }
        var ui: JSONObject?
        for result in results {
            guard let part = result.ui else { continue }
            var merged = ui ?? JSONObject()
            for (key, value) in part {
                if case .array(let existing)? = merged[key], case .array(let more) = value {
                    merged[key] = .array(existing + more)
                } else {
                    merged[key] = value
                }
            }
            ui = merged
        }
        return NodeOutput(slots: slots, ui: ui)
    }

    func makeContext(for id: String) -> NodeContext {
        let promptID = promptID
        let events = events
        return NodeContext(nodeID: id, promptID: promptID, resources: resources, interruption: interruption) { value, total in
            events(.progress(promptID: promptID, node: id, value: value, max: total))
        }
    }

    func makeFailure(_ id: String, error: any Error) -> ExecutionFailure {
        if let failure = error as? ExecutionFailure { return failure }
        let node = prompt[id]
        var inputs = JSONObject()
        for (name, input) in node?.inputs ?? [] {
            switch input {
            case .literal(let value): inputs[name] = .array([value])
            case .link(let link): inputs[name] = .string("output \(link.output) of node \(link.node)")
            case .malformedLink(let value): inputs[name] = value
            }
        }
        return ExecutionFailure(
            promptID: promptID, nodeID: id, nodeType: node?.classType ?? "", nodeTitle: node?.title, executed: executed,
            exceptionMessage: String(describing: error),
            exceptionType: (error as? ComfyExceptionNaming)?.comfyExceptionType ?? String(describing: Swift.type(of: error)),
            traceback: [], currentInputs: inputs, currentOutputs: [:])
    }
}

/// Nodes waiting to run: each becomes ready when the nodes it waits on have results.
/// Output nodes are taken first, then the most recently readied (depth first, to free memory early).
private struct ReadyQueue {
    private var waitingOn: [String: Set<String>] = [:]
    private var dependents: [String: [String]] = [:]
    private var readyOutputs: [String] = []
    private var readyOthers: [String] = []
    private var isOutput: [String: Bool] = [:]
    private var members: Set<String> = []

    func contains(_ id: String) -> Bool { members.contains(id) }

    var firstWaiting: String? { waitingOn.first(where: { !$0.value.isEmpty })?.key }

    mutating func add(_ id: String, waitingOn dependencies: Set<String>, isOutput output: Bool) {
        members.insert(id)
        isOutput[id] = output
        wait(id, on: dependencies)
    }

    /// A node that asked for more inputs goes back to waiting.
    mutating func requeue(_ id: String, waitingOn dependencies: Set<String>) {
        members.insert(id)
        wait(id, on: dependencies)
    }

    private mutating func wait(_ id: String, on dependencies: Set<String>) {
        waitingOn[id] = dependencies
        for dependency in dependencies { dependents[dependency, default: []].append(id) }
        if dependencies.isEmpty { makeReady(id) }
    }

    private mutating func makeReady(_ id: String) {
        waitingOn[id] = nil
        if isOutput[id] == true { readyOutputs.append(id) } else { readyOthers.append(id) }
    }

    mutating func next() -> String? {
        if let id = readyOutputs.popLast() ?? readyOthers.popLast() {
            members.remove(id)
            return id
        }
        return nil
    }

    /// `id` has a result: whatever waited only on it becomes ready.
    mutating func resolve(_ id: String) {
        guard let waiting = dependents.removeValue(forKey: id) else { return }
        for dependent in waiting {
            guard var remaining = waitingOn[dependent] else { continue }
            remaining.remove(id)
            if remaining.isEmpty { makeReady(dependent) } else { waitingOn[dependent] = remaining }
        }
    }
}

/// A loop closed at run time by a node's expansion. Reported under ComfyUI's exception type name.
public struct DependencyCycleError: Error, CustomStringConvertible, ComfyExceptionNaming {
    public var message: String
    public var description: String { message }
    public var comfyExceptionType: String { "graph.DependencyCycleError" }
}

/// An error that reports itself under a given `exception_type`, such as ComfyUI's own exception names.
public protocol ComfyExceptionNaming {
    var comfyExceptionType: String { get }
}

public struct NodeContractError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
