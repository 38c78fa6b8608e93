import Foundation

/// Loom for embedding: load workflows, validate them and run them, with the same engine the CLI and
/// the server use. Outputs stay cached between runs within the engine's cache policy.
public final class LoomEngine: Sendable {
    public let registry: NodeRegistry
    public let resources: Resources
    public let executor: Executor

    public init(
        registry: NodeRegistry = NodeLibrary.registry, resources: Resources = Resources(),
        cache: any OutputCache = MemoryOutputCache()
    ) {
        self.registry = registry
        self.resources = resources
        if resources.get(ComputeDevice.self) == nil { resources.set(ComputeDevice.processDefault) }
        self.executor = Executor(registry: registry, resources: resources, cache: cache)
    }

    /// A cache that keeps outputs in memory under `policy` and, with `diskDirectory`, persists cheap-to-store
    /// outputs there for later processes.
    public static func cache(policy: CachePolicy, diskDirectory: URL?, diskByteLimit: Int = 4 << 30) -> any OutputCache {
        let memory = MemoryOutputCache(policy: policy)
        guard let diskDirectory else { return memory }
        return LayeredOutputCache(
            memory: memory, disk: DiskOutputStore(directory: diskDirectory, byteLimit: diskByteLimit, codecs: NodeLibrary.diskCacheCodecs))
    }

    public var loader: WorkflowLoader { WorkflowLoader(registry: registry) }

    public func load(contentsOf url: URL) throws -> WorkflowDocument {
        try loader.load(contentsOf: url)
    }

    public func validate(_ document: WorkflowDocument) throws(PromptValidationError) -> ValidatedPrompt {
        try Validator(registry: registry, resources: resources)
            .validate(document.prompt, targets: document.partialExecutionTargets)
    }

    /// Validates and runs `document`; events arrive in order while it runs.
    public func run(
        _ document: WorkflowDocument, promptID: String = UUID().uuidString.lowercased(),
        interruption: Interruption = Interruption(),
        events: @escaping @Sendable (ExecutionEvent) -> Void = { _ in }
    ) async throws(PromptValidationError) -> ExecutionOutcome {
        let validated = try validate(document)
        return await run(validated, promptID: promptID, extraData: document.runExtraData, interruption: interruption, events: events)
    }

    /// Runs a prompt `validate` accepted; events arrive in order while it runs.
    public func run(
        _ validated: ValidatedPrompt, promptID: String = UUID().uuidString.lowercased(), extraData: JSONObject = [:],
        interruption: Interruption = Interruption(),
        events: @escaping @Sendable (ExecutionEvent) -> Void = { _ in }
    ) async -> ExecutionOutcome {
        resources.get(ComputeDevice.self)?.anticipate(workload: validated.workload(in: registry))
        return await executor.run(validated, promptID: promptID, extraData: extraData, interruption: interruption, events: events)
    }
}
