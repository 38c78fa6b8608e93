import Foundation
import Logging
import Loom
import ServiceLifecycle
import Synchronization

/// Runs queued prompts one at a time on the shared engine, sends each prompt's messages to the client that
/// submitted it, and records how it ended. A failed or interrupted prompt never affects the next: each gets its own
/// interruption, and the engine's cache holds only outputs of nodes that succeeded.
struct PromptWorker: Service {
    let engine: LoomEngine
    let queue: PromptQueue
    let clients: ClientHub
    let logger: Logger

    func run() async throws {
        await withGracefulShutdownHandler {
            while let next = await queue.next() {
                await execute(next.prompt, interruption: next.interruption)
            }
        } onGracefulShutdown: { [queue, clients] in
            clients.disconnectAll()
            Task { await queue.shutDown() }
        }
    }

    private func execute(_ item: QueuedPrompt, interruption: Interruption) async {
        TestCrashHook.crashIfMarked(item)
        let started = ContinuousClock.now
        let recorded = Mutex<[JSONValue]>([])
        let send: @Sendable (ServerMessage) -> Void = { [clients] message in
            if HistoryEntry.messageTypes.contains(message.type) {
                recorded.withLock { $0.append(message.historyRecord) }
            }
            if let client = item.clientID { clients.send(message, to: client) }
        }
        let entry: HistoryEntry
        do {
            var document = WorkflowDocument(
                prompt: try Prompt(json: item.prompt), format: .api, extraData: item.extraData)
            document.partialExecutionTargets = item.outputsToExecute
            let outcome = try await engine.run(document, promptID: item.id, interruption: interruption) { event in
                // The end of the prompt is announced once its history entry is saved, so a client that reacts
                // to it finds the entry.
                if case .executing(_, nil, _) = event { return }
                if case .preview(let promptID, let node, let image) = event {
                    guard let client = item.clientID else { return }
                    let frame = clients.supportsPreviewMetadata(client)
                        ? PreviewFrame(image, promptID: promptID, node: node) : PreviewFrame(image)
                    if let frame { clients.send(binary: frame.bytes, to: client) }
                    return
                }
                if case .progressText(_, let node, let text) = event {
                    // ComfyUI broadcasts these; like previews, they go only to the prompt's submitter here.
                    if let client = item.clientID, let frame = ProgressTextFrame(node: node, text: text) {
                        clients.send(binary: frame.bytes, to: client)
                    }
                    return
                }
                send(ServerMessage(event))
            }
            entry = HistoryEntry(prompt: item, outcome: outcome, messages: recorded.withLock { $0 })
        } catch {
            // Queued prompts were valid when submitted; a restored one may no longer be (a file it names is gone).
            ServerMessage.failedBeforeRunning(
                promptID: item.id, exceptionType: error is PromptValidationError ? "PromptValidationError" : "WorkflowFormatError",
                message: "the prompt is no longer valid: \(error)"
            ).forEach(send)
            entry = HistoryEntry(
                prompt: item, outputs: [:], succeeded: false, completed: false, messages: recorded.withLock { $0 })
        }
        guard await queue.finish(entry) else { return }
        if let client = item.clientID {
            clients.send(
                ServerMessage(type: "executing", data: ["node": .null, "prompt_id": .string(item.id)]), to: client)
        }
        let elapsed = (ContinuousClock.now - started).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        logger.info(
            "Prompt \(item.id) \(entry.succeeded ? "executed" : "failed") in \(String(format: "%.2f", seconds)) seconds"
        )
    }

    private static func invalidAtRunTime(_ item: QueuedPrompt, error: any Error) -> ServerMessage {
        ServerMessage(
            type: "execution_error",
            data: [
                "prompt_id": .string(item.id), "node_id": .null, "node_type": .null, "executed": [],
                "exception_message": .string("the prompt is no longer valid: \(error)"),
                "exception_type": .string(
                    error is PromptValidationError ? "PromptValidationError" : "WorkflowFormatError"),
                "traceback": [], "current_inputs": [:], "current_outputs": [:], "timestamp": now,
            ])
    }

    private static var now: JSONValue { .int(Int(Date().timeIntervalSince1970 * 1000)) }
}
