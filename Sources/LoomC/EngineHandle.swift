import CLoom
import Foundation
import Loom
import Synchronization

/// An engine behind a `loom_engine` handle: one run at a time, and the interruption of the run in flight.
final class EngineHandle: Sendable {
    static let table = HandleTable<EngineHandle>(kind: "loom_engine")

    let engine: LoomEngine
    /// Held for the whole of a run, so runs on one engine take turns.
    private let runLock = NSLock()
    private let current = Mutex<Interruption?>(nil)
    /// Numbers runs as ComfyUI numbers queue items, for the history entry.
    private let runs = Atomic<Int>(0)

    init(engine: LoomEngine) {
        self.engine = engine
    }

    /// Runs `body` once the engine is free, with a fresh interruption that `interrupt` reaches meanwhile.
    func exclusiveRun<Value>(_ body: (Interruption, _ number: Int) throws(LoomFailure) -> Value) throws(LoomFailure) -> Value {
        runLock.lock()
        defer { runLock.unlock() }
        let interruption = Interruption()
        current.withLock { $0 = interruption }
        defer { current.withLock { $0 = nil } }
        return try body(interruption, runs.add(1, ordering: .relaxed).oldValue)
    }

    func interrupt() {
        current.withLock { $0?.request() }
    }

    /// Stops the run in flight and waits until it has returned.
    func shutDown() {
        interrupt()
        runLock.lock()
        runLock.unlock()
    }
}
