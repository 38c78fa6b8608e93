import Foundation

/// Runs validated prompts: only the nodes the outputs need, each at most once, outputs passed by reference,
/// results re-used from the cache while their signatures stay the same.
public actor Executor {
    public let registry: NodeRegistry
    public let resources: Resources
    public let cache: any OutputCache
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
        run.deferredFailures = validated.deferredFailures
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
