import Foundation

/// The state of one prompt's execution: which nodes wait on which, what has run, and the outputs so far.
///
/// Nodes run one at a time, except that nodes declaring `runsConcurrently` (CPU-only work such as file loading
/// or image operations) run beside each other and beside the one exclusive node in flight.
struct PromptRun {
    /// Grows while running when nodes expand into sub-graphs.
    var prompt: Prompt
    let promptID: String
    let extraData: JSONObject
    let registry: NodeRegistry
    let resources: Resources
    let cache: any OutputCache
    let interruption: Interruption
    let events: @Sendable (ExecutionEvent) -> Void
    let progress: ProgressRegistry
    let previewMethod: PreviewMethod
    /// What this prompt's outputs hold, against the engine's per-prompt limit.
    let memory: PromptMemory

    var results: [String: NodeOutput] = [:]
    var signatures: [String: Signature] = [:]
    var volatile: Set<String> = []
    var executed: [String] = []
    var cachedNodes: [String] = []
    var uiOutputs: [String: JSONObject] = [:]
    var schedule = ReadyQueue()
    /// Lazy inputs each node has asked for so far.
    var requestedLazy: [String: Set<String>] = [:]
    /// Lazy inputs that failed validation; asking for one stops the run.
    var deferredFailures: [DeferredInputFailure] = []
    /// Nodes handed to a task and not yet complete: a lazy request reaching one waits instead of running it again.
    var inFlight: Set<String> = []
    /// Nodes that expanded into a sub-graph, with where their outputs will come from.
    var pendingExpansions: [String: [PendingCall]] = [:]
    let promptJSON: JSONValue

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
        self.progress = ProgressRegistry(promptID: promptID)
        self.previewMethod = PreviewMethod.forPrompt(extraData, serverDefault: resources.get(PreviewMethod.self) ?? .auto)
        self.promptJSON = prompt.json
        self.memory = PromptMemory(limit: resources.limits.bytesPerPrompt)
    }

    /// What came back from a node run in a child task.
    private struct Completion: Sendable {
        var id: String
        var exclusive: Bool
        var result: Result<[NodeResult], any Error>
    }

    mutating func execute(targets: [String], instance: @Sendable (String, String) async -> any Node) async -> ExecutionOutcome {
        events(.started(promptID: promptID))
        let computed = SignatureBuilder(prompt: prompt, registry: registry, resources: resources).signatures(for: targets)
        signatures = computed.signatures
        volatile = computed.volatile
        cachedNodes = prompt.nodes.map(\.id).filter { id in signatures[id].map(cache.contains) ?? false }
        events(.cached(promptID: promptID, nodes: cachedNodes))
        for target in targets { stage(target) }

        var status: ExecutionOutcome.Status = .succeeded
        await withTaskGroup(of: Completion.self) { group in
            var running = 0
            var exclusiveBusy = false
            var stopped = false
            while true {
                while !stopped, let id = schedule.next(allowingExclusive: !exclusiveBusy) {
                    if interruption.isRequested {
                        status = .interrupted(node: id)
                        events(.interrupted(promptID: promptID, node: id, nodeType: prompt[id]?.classType, executed: executed))
                        stopped = true
                        break
                    }
                    do {
                        guard let invocation = try await prepare(id, instance: await instance(id, prompt[id]!.classType)) else {
                            continue
                        }
                        let exclusive = !invocation.runsConcurrently
                        exclusiveBusy = exclusiveBusy || exclusive
                        running += 1
                        inFlight.insert(id)
                        group.addTask {
                            do {
                                return Completion(id: id, exclusive: exclusive, result: .success(try await invocation.perform()))
                            } catch {
                                return Completion(id: id, exclusive: exclusive, result: .failure(error))
                            }
                        }
                    } catch {
                        status = stop(at: id, by: error)
                        stopped = true
                    }
                }
                guard running > 0, let completion = await group.next() else { break }
                running -= 1
                inFlight.remove(completion.id)
                if completion.exclusive { exclusiveBusy = false }
                // After a failure, nodes already in flight finish but their results are dropped.
                guard !stopped else { continue }
                do {
                    try complete(completion.id, calls: completion.result.get())
                } catch {
                    status = stop(at: completion.id, by: error)
                    stopped = true
                }
            }
        }
        if case .succeeded = status, let stuck = schedule.firstWaiting {
            // Only an expansion can close a loop at run time: blame the node that expanded.
            let culprit = pendingExpansions.keys.sorted().first ?? stuck
            status = stop(at: culprit, by: DependencyCycleError(
                message: "Dependency cycle detected: node \(culprit)'s expansion waits on itself"))
        }
        if case .succeeded = status { events(.succeeded(promptID: promptID)) }
        events(.executing(promptID: promptID, node: nil, displayNode: nil))
        var outcome = ExecutionOutcome(
            promptID: promptID, status: status, outputs: uiOutputs, executedNodes: executed, cachedNodes: cachedNodes)
        outcome.outputNodeInputs = linkedInputs(of: targets)
        return outcome
    }

    /// What `nodes` read through their links; a node served from the cache finds its sources in the cache.
    private func linkedInputs(of nodes: [String]) -> [String: [String: [NodeValue]]] {
        var inputs: [String: [String: [NodeValue]]] = [:]
        for id in nodes {
            guard let node = prompt[id] else { continue }
            for (name, link) in node.links {
                guard let source = results[link.node] ?? signatures[link.node].flatMap(cache.output(for:)),
                    source.slots.indices.contains(link.output)
                else { continue }
                inputs[id, default: [:]][name] = source.slots[link.output]
            }
        }
        return inputs
    }

    /// Reports why the run stops.
    private func stop(at id: String, by error: any Error) -> ExecutionOutcome.Status {
        if error is ExecutionInterrupted {
            events(.interrupted(promptID: promptID, node: id, nodeType: prompt[id]?.classType, executed: executed))
            return .interrupted(node: id)
        }
        let failure = makeFailure(id, error: error)
        events(.failed(failure))
        return .failed(failure)
    }

    // MARK: Scheduling

    /// Adds `root` and whatever it needs that has no result yet. Cached nodes resolve at once, so
    /// nothing upstream of them runs.
    mutating func stage(_ root: String) {
        var work = [root]
        while let id = work.popLast() {
            guard results[id] == nil, !schedule.contains(id), !inFlight.contains(id), let node = prompt[id] else { continue }
            if let signature = signatures[id], let hit = cache.output(for: signature) {
                resolveFromCache(id, hit)
                continue
            }
            let missing = dependencies(of: node).filter { results[$0] == nil }
            let type = registry[node.classType]
            schedule.add(
                id, waitingOn: Set(missing), isOutput: type?.schema.isOutputNode ?? false,
                isExclusive: !(type?.runsConcurrently ?? false))
            // Pushed in input order, so the first input ends up readied last and, being LIFO, runs first.
            work.append(contentsOf: missing)
        }
    }

    mutating func resolveFromCache(_ id: String, _ output: NodeOutput) {
        // Held by the cache already: counted, but never the reason a prompt fails.
        memory.hold(output.slots.joined())
        results[id] = output
        if let ui = output.ui {
            uiOutputs[id] = ui
            events(.executed(promptID: promptID, node: id, displayNode: id, output: ui))
        }
        // ComfyUI finishes a cached node's progress too.
        events(progress.finish(id))
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

    /// Gets a ready node going: resolves a finished expansion, asks for lazy inputs, or returns the work to run.
    /// `nil` means the node needs nothing run now.
    mutating func prepare(_ id: String, instance: any Node) async throws -> NodeInvocation? {
        let node = prompt[id]!
        let type = registry[node.classType]!
        let schema = type.schema
        if let calls = pendingExpansions.removeValue(forKey: id) {
            try finish(id, with: NodeInvocation.merge(try calls.map { try result(of: id, from: $0, schema: schema) }, schema: schema))
            return nil
        }
        var lists = try gatherInputs(of: node, schema: schema)
        let linked = Set(node.links.map(\.name))
        let context = makeContext(for: id)

        if schema.inputs.contains(where: \.isLazy) {
            let available = NodeInputs(
                lists.compactMapValues { $0.first }, linkedNames: linked, nodeID: id, classType: node.classType)
            let needed = try await instance.neededLazyInputs(available, context: context)
            let newlyNeeded = needed.filter { name in
                node.links.contains { $0.name == name } && requestedLazy[id]?.contains(name) != true
            }
            if let failure = deferredFailures.first(where: { $0.node == id && newlyNeeded.contains($0.input) }) {
                throw LazyInputValidationError(classType: node.classType, failure: failure)
            }
            if !newlyNeeded.isEmpty {
                requestedLazy[id, default: []].formUnion(newlyNeeded)
                let missing = dependencies(of: node).filter { results[$0] == nil }
                if !missing.isEmpty {
                    schedule.requeue(id, waitingOn: Set(missing))
                    for dependency in missing { stage(dependency) }
                    return nil
                }
                lists = try gatherInputs(of: node, schema: schema)
            }
        }
        // ComfyUI starts a node's progress before announcing it.
        events(progress.start(id))
        events(.executing(promptID: promptID, node: id, displayNode: id))
        return NodeInvocation(
            instance: instance, schema: schema, node: node, lists: lists, linked: linked, context: context,
            runsConcurrently: type.runsConcurrently, promptID: promptID, executedBefore: executed, events: events)
    }

    /// Takes a node's results: its outputs, or the sub-graphs it expanded into.
    mutating func complete(_ id: String, calls: [NodeResult]) throws {
        let schema = registry[prompt[id]!.classType]!.schema
        for call in calls where call.expansion == nil && call.outputs.count != schema.outputs.count {
            throw NodeContractError(message: "\(prompt[id]!.classType) returned \(call.outputs.count) outputs but declares \(schema.outputs.count)")
        }
        executed.append(id)
        guard calls.contains(where: { $0.expansion != nil }) else {
            try finish(id, with: NodeInvocation.merge(calls, schema: schema))
            return
        }
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
    }

    mutating func finish(_ id: String, with output: NodeOutput) throws {
        try hold(output, of: id)
        results[id] = output
        if let signature = signatures[id] {
            cache.store(output, for: signature, persistent: isPersistable(id, output))
        }
        if let ui = output.ui {
            uiOutputs[id] = ui
            events(.executed(promptID: promptID, node: id, displayNode: id, output: ui))
        }
        events(progress.finish(id))
        schedule.resolve(id)
    }

    /// Counts a node's outputs against the prompt's memory limit, failing the node whose output passes it.
    private func hold(_ output: NodeOutput, of id: String) throws(PromptMemoryExceeded) {
        let node = prompt[id]
        let schema = node.flatMap { registry[$0.classType]?.schema }
        for (index, slot) in output.slots.enumerated() {
            let added = memory.hold(slot)
            let held = memory.heldBytes
            guard held <= memory.limit else {
                let name = schema.flatMap { $0.outputs.indices.contains(index) ? $0.outputs[index].name : nil }
                throw PromptMemoryExceeded(
                    node: id, classType: node?.classType ?? "", output: name ?? "#\(index)", outputBytes: added,
                    heldBytes: held, limit: memory.limit)
            }
        }
    }

    /// Outputs worth keeping beyond this process: deterministic, and not the result of an output node, whose
    /// side effect (a saved file) a new run should repeat.
    func isPersistable(_ id: String, _ output: NodeOutput) -> Bool {
        guard !volatile.contains(id), let node = prompt[id], let schema = registry[node.classType]?.schema else { return false }
        return !schema.isOutputNode && !output.slots.joined().contains { $0 is ExecutionBlocker }
    }

    /// Each input as a list of values, as ComfyUI passes them: literals become one-element lists.
    func gatherInputs(of node: PromptNode, schema: NodeSchema) throws -> [String: [NodeValue]] {
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

    func makeContext(for id: String) -> NodeContext {
        let promptID = promptID
        let events = events
        let registry = progress
        return NodeContext(
            nodeID: id, promptID: promptID, resources: resources, memory: memory, interruption: interruption,
            previewMethod: previewMethod,
            progress: { value, total in
                events(registry.update(id, value: value, max: total))
                events(.progress(promptID: promptID, node: id, value: value, max: total))
            },
            preview: { events(.preview(promptID: promptID, node: id, image: $0)) },
            text: { events(.progressText(promptID: promptID, node: id, text: $0)) })
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
