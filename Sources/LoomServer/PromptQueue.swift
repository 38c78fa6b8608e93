import Foundation
import Logging
import Loom

/// The prompts waiting, the one running and those finished — shared by every request and the worker that runs them.
///
/// Prompts run one at a time, lowest `number` first (ComfyUI's order: `front` submissions get negative numbers),
/// ties in submission order. Every change is saved through the `QueueStore` before it is announced.
public actor PromptQueue {
    /// How `POST /interrupt` dealt with a prompt.
    public enum InterruptResult: Sendable, Equatable {
        case interruptedRunning(String)
        case removedPending(String)
        case notFound
    }

    private struct Pending {
        var item: QueuedPrompt
        var sequence: Int
        /// Runs started, saved before each starts: one found on disk at start-up was running when the process died.
        var attempts = 0
    }

    /// Runs a prompt may start. One that was running when the process died runs once more; if the process dies
    /// again it is recorded as failed, so a prompt that crashes Loom can never crash every restart.
    static let maximumAttempts = 2

    private struct Running {
        var pending: Pending
        var interruption: Interruption
        var stoppedForShutdown = false
    }

    private var pending: [Pending] = []
    private var running: Running?
    private var historyOrder: [String] = []
    private var history: [String: HistoryEntry] = [:]
    private var nextNumber = 0
    private var nextSequence = 0
    private var nextHistorySequence = 0
    private var isShuttingDown = false
    private var idleWorker: CheckedContinuation<Void, Never>?
    private var waiters: [String: [Int: CheckedContinuation<HistoryEntry?, Never>]] = [:]
    private var nextWaiterToken = 0

    private let store: QueueStore?
    private let maxHistory: Int
    private let logger: Logger
    private let onChange: @Sendable (_ queueRemaining: Int) -> Void

    /// Restores what `store` holds: prompts that were queued or running when the last server stopped, and the history.
    public init(
        store: QueueStore?, maxHistory: Int = 10_000, logger: Logger = Logger(label: "loom.queue"),
        onChange: @escaping @Sendable (_ queueRemaining: Int) -> Void = { _ in }
    ) {
        self.store = store
        self.maxHistory = maxHistory
        self.logger = logger
        self.onChange = onChange
        guard let store else { return }
        let saved = store.load()
        for problem in saved.problems { logger.warning("skipping an unreadable queue file: \(problem)") }
        let finished = Dictionary(
            saved.history.map { ($0.entry.prompt.id, $0.entry) }, uniquingKeysWith: { _, last in last })
        history = finished
        historyOrder = saved.history.map(\.entry.prompt.id)
        nextHistorySequence = (saved.history.map(\.sequence).max() ?? -1) + 1
        // A prompt saved to history just before a crash may still have its pending file.
        var restored: [Pending] = []
        for record in saved.pending where finished[record.item.id] == nil {
            guard record.attempts < Self.maximumAttempts else {
                let entry = Self.crashEntry(for: record.item, attempts: record.attempts)
                logger.error("prompt \(record.item.id): \(Self.crashMessage(attempts: record.attempts))")
                do {
                    try store.saveHistory(entry, sequence: nextHistorySequence)
                    store.removePending(record.item.id)
                } catch {
                    logger.error("\(error)")
                }
                nextHistorySequence += 1
                history[record.item.id] = entry
                historyOrder.append(record.item.id)
                continue
            }
            if record.attempts > 0 {
                logger.warning("prompt \(record.item.id) was running when Loom stopped; it runs once more")
            }
            restored.append(Pending(item: record.item, sequence: record.sequence, attempts: record.attempts))
        }
        pending = restored.sorted(by: Self.runsBefore)
        nextSequence = (saved.pending.map(\.sequence).max() ?? -1) + 1
        // Client-chosen numbers can be anything; only counter-sized ones move the counter on.
        let numbers = (saved.pending.map(\.item.number) + saved.history.map(\.entry.prompt.number)).map(abs).filter {
            $0 < 1e15
        }
        nextNumber = Int(numbers.max() ?? -1) + 1
    }

    // MARK: Submitting and listing

    /// Queues a validated prompt and returns it with its number; nil when `id` is already queued or in the history.
    public func enqueue(
        id: String, prompt: JSONValue, extraData: JSONObject, outputsToExecute: [String], number: Double? = nil,
        front: Bool = false
    ) -> QueuedPrompt? {
        guard !contains(id) else { return nil }
        let counter = Double(nextNumber)
        nextNumber += 1
        let item = QueuedPrompt(
            number: number ?? (front ? -counter : counter), id: id, prompt: prompt, extraData: extraData,
            outputsToExecute: outputsToExecute)
        let entry = Pending(item: item, sequence: nextSequence)
        nextSequence += 1
        save(entry)
        pending.insert(entry, at: pending.firstIndex { Self.runsBefore(entry, $0) } ?? pending.endIndex)
        wakeWorker()
        announce()
        return item
    }

    /// Prompts still to finish, the running one included (ComfyUI's `queue_remaining`).
    public var remaining: Int { pending.count + (running == nil ? 0 : 1) }

    public var runningPrompts: [QueuedPrompt] { running.map { [$0.pending.item] } ?? [] }
    public var pendingPrompts: [QueuedPrompt] { pending.map(\.item) }

    /// Whether `id` is waiting, running or finished.
    public func contains(_ id: String) -> Bool {
        history[id] != nil || running?.pending.item.id == id || pending.contains { $0.item.id == id }
    }

    public func clearPending() {
        removePending { _ in true }
    }

    public func deletePending(_ ids: Set<String>) {
        removePending { ids.contains($0.id) }
    }

    // MARK: Interrupting

    /// Interrupts the running prompt — only if it is `id` when one is given — or takes `id` off the queue if it has
    /// not started. Each prompt has its own interruption, so an interrupt can never reach the next one.
    public func interrupt(_ id: String?) -> InterruptResult {
        if let running, id == nil || running.pending.item.id == id {
            running.interruption.request()
            return .interruptedRunning(running.pending.item.id)
        }
        guard let id, pending.contains(where: { $0.item.id == id }) else { return .notFound }
        removePending { $0.id == id }
        return .removedPending(id)
    }

    /// How `cancel(_:)` dealt with a list of job ids.
    public enum CancelOutcome: Sendable, Equatable {
        /// Running prompts among the ids were interrupted and pending ones removed, listed in request order;
        /// finished ones needed nothing.
        case cancelled([String])
        /// Ids neither queued, running nor finished; nothing was cancelled.
        case unknown([String])
    }

    /// The jobs API's cancel: every id is checked first, and if any is unknown nothing is cancelled, so a
    /// request never leaves the queue half cancelled.
    public func cancel(_ ids: [String]) -> CancelOutcome {
        let unknown = ids.filter { !contains($0) }
        guard unknown.isEmpty else { return .unknown(unknown) }
        var cancelled: [String] = []
        for id in ids where history[id] == nil && !cancelled.contains(id) {
            switch interrupt(id) {
            case .interruptedRunning, .removedPending: cancelled.append(id)
            case .notFound: break
            }
        }
        return .cancelled(cancelled)
    }

    // MARK: The worker's side

    /// The next prompt to run, waiting until there is one; nil once the server is shutting down.
    func next() async -> (prompt: QueuedPrompt, interruption: Interruption)? {
        while !isShuttingDown {
            if !pending.isEmpty {
                var entry = pending.removeFirst()
                // Durably marked as started before it runs: a crash during the run is then known at the next start.
                entry.attempts += 1
                save(entry)
                let interruption = Interruption()
                running = Running(pending: entry, interruption: interruption)
                announce()
                return (entry.item, interruption)
            }
            await withCheckedContinuation { idleWorker = $0 }
        }
        return nil
    }

    /// Records how the running prompt ended. Returns false when it was stopped by a shutdown instead: then it
    /// goes back to the front of the queue (its file never left the disk) and runs again after a restart.
    func finish(_ entry: HistoryEntry) -> Bool {
        guard let current = running, current.pending.item.id == entry.prompt.id else { return false }
        running = nil
        if current.stoppedForShutdown, !entry.succeeded {
            // An orderly stop is no crash: the attempt does not count.
            var stopped = current.pending
            stopped.attempts -= 1
            save(stopped)
            pending.insert(stopped, at: 0)
            return false
        }
        let id = entry.prompt.id
        do {
            try store?.saveHistory(entry, sequence: nextHistorySequence)
        } catch {
            logger.error("\(error)")
        }
        nextHistorySequence += 1
        store?.removePending(id)
        history[id] = entry
        historyOrder.removeAll { $0 == id }
        historyOrder.append(id)
        while historyOrder.count > maxHistory { forgetHistory(historyOrder[0]) }
        for waiter in (waiters.removeValue(forKey: id) ?? [:]).values { waiter.resume(returning: entry) }
        announce()
        return true
    }

    /// Stops handing out prompts and interrupts the running one, which stays queued for the next server.
    func shutDown() {
        isShuttingDown = true
        if running != nil {
            running?.stoppedForShutdown = true
            running?.interruption.request()
        }
        wakeWorker()
    }

    // MARK: History

    /// ComfyUI's `GET /history` selection: `offset` entries skipped from the oldest (a negative offset with
    /// `max_items` means the newest `max_items`), at most `max_items` returned.
    public func history(maxItems: Int?, offset: Int) -> JSONObject {
        var offset = offset
        if offset < 0, let maxItems { offset = historyOrder.count - maxItems }
        var selected = JSONObject()
        for (index, id) in historyOrder.enumerated() where index >= offset {
            if let maxItems, selected.count >= maxItems { break }
            selected[id] = history[id]?.json
        }
        return selected
    }

    public func historyEntry(_ id: String) -> HistoryEntry? { history[id] }

    /// Every finished prompt, newest first.
    public var historyEntries: [HistoryEntry] { historyOrder.reversed().compactMap { history[$0] } }

    public func clearHistory() {
        for id in historyOrder { forgetHistory(id) }
    }

    public func deleteHistory(_ ids: Set<String>) {
        for id in ids where history[id] != nil { forgetHistory(id) }
    }

    /// Waits until `id` has finished and returns its history entry; nil if it is unknown or leaves the queue
    /// without running. A waiter that goes away (its task is cancelled) does not affect the prompt.
    public func completion(of id: String) async -> HistoryEntry? {
        if let entry = history[id] { return entry }
        guard contains(id) else { return nil }
        let token = nextWaiterToken
        nextWaiterToken += 1
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(returning: nil)
                } else {
                    waiters[id, default: [:]][token] = continuation
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id: id, token: token) }
        }
    }

    // MARK: Private

    private static func runsBefore(_ a: Pending, _ b: Pending) -> Bool {
        (a.item.number, a.sequence) < (b.item.number, b.sequence)
    }

    private func save(_ entry: Pending) {
        do {
            try store?.savePending(entry.item, sequence: entry.sequence, attempts: entry.attempts)
        } catch {
            logger.error("\(error)")
        }
    }

    private static func crashMessage(attempts: Int) -> String {
        "Loom stopped \(attempts) times while running this prompt (a crash, or the process was killed); it is not run again"
    }

    /// The history entry of a prompt that was running each time the process died: failed, with the reason.
    private static func crashEntry(for item: QueuedPrompt, attempts: Int) -> HistoryEntry {
        HistoryEntry(
            prompt: item, outputs: [:], succeeded: false, completed: false,
            messages: ServerMessage.failedBeforeRunning(
                promptID: item.id, exceptionType: "ProcessCrash", message: crashMessage(attempts: attempts)
            ).map(\.historyRecord))
    }

    private func removePending(where shouldRemove: (QueuedPrompt) -> Bool) {
        let removed = pending.filter { shouldRemove($0.item) }
        guard !removed.isEmpty else { return }
        pending.removeAll { shouldRemove($0.item) }
        for entry in removed {
            store?.removePending(entry.item.id)
            for waiter in (waiters.removeValue(forKey: entry.item.id) ?? [:]).values { waiter.resume(returning: nil) }
        }
        announce()
    }

    private func forgetHistory(_ id: String) {
        history[id] = nil
        historyOrder.removeAll { $0 == id }
        store?.removeHistory(id)
    }

    private func cancelWaiter(id: String, token: Int) {
        waiters[id]?.removeValue(forKey: token)?.resume(returning: nil)
    }

    private func wakeWorker() {
        idleWorker?.resume()
        idleWorker = nil
    }

    private func announce() {
        onChange(remaining)
    }
}
