import Synchronization

/// What a running node may ask of the executor: its identity, shared services, progress and interruption.
public struct NodeContext: Sendable {
    public let nodeID: String
    public let promptID: String
    public let resources: Resources
    /// What the running prompt's outputs hold so far, and its limit: checked before a large allocation.
    public let memory: PromptMemory
    /// How this prompt wants previews made; `.none` means nodes skip computing them.
    public let previewMethod: PreviewMethod
    let interruption: Interruption
    let progressSink: @Sendable (_ value: Double, _ total: Double) -> Void
    let previewSink: @Sendable (ProgressPreview) -> Void
    let textSink: @Sendable (String) -> Void

    public init(
        nodeID: String, promptID: String, resources: Resources, memory: PromptMemory = PromptMemory(),
        interruption: Interruption = Interruption(),
        previewMethod: PreviewMethod = .auto, progress: @escaping @Sendable (Double, Double) -> Void = { _, _ in },
        preview: @escaping @Sendable (ProgressPreview) -> Void = { _ in },
        text: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.nodeID = nodeID
        self.promptID = promptID
        self.resources = resources
        self.memory = memory
        self.previewMethod = previewMethod
        self.interruption = interruption
        self.previewSink = preview
        self.textSink = text
        self.progressSink = progress
    }

    /// Shows `preview` to clients that display progress pictures, after the progress report of the same
    /// step (ComfyUI's order); dropped when the prompt wants no previews, so check `previewMethod` before
    /// computing one.
    public func reportPreview(_ preview: ProgressPreview) {
        guard previewMethod.showsPreviews else { return }
        previewSink(preview)
    }

    /// Shows `text` on the running node in clients that display it, as ComfyUI's `send_progress_text` does.
    public func reportText(_ text: String) {
        textSink(text)
    }

    /// Reports progress of long work, such as sampling steps; also a point where an interrupt stops the node.
    public func reportProgress(_ value: Double, of total: Double) throws(ExecutionInterrupted) {
        try checkInterrupted()
        progressSink(value, total)
    }

    public func checkInterrupted() throws(ExecutionInterrupted) {
        if interruption.isRequested { throw ExecutionInterrupted() }
    }
}

/// A request to stop a running prompt, checked between nodes and inside long node work.
public final class Interruption: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func request() { flag.store(true, ordering: .relaxed) }
    public func reset() { flag.store(false, ordering: .relaxed) }
    public var isRequested: Bool { flag.load(ordering: .relaxed) }
}

public struct ExecutionInterrupted: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "execution interrupted" }
}
