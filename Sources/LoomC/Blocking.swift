import CLoom
import Dispatch
import Synchronization

/// Runs async work to completion for a C caller that waits. The work runs as a detached task on Swift's own
/// threads while the caller's thread sleeps on a semaphore. That is safe on host threads, which Swift's pool
/// does not count on; on a pool thread (inside an event callback) the wait could hold a thread the work itself
/// needs, so blocking calls are refused there (`ThreadState.callbackDepth`). It also relies on nothing in a run
/// hopping to the main actor: a host's main thread blocked here would never serve it.
enum Blocking {
    static func wait<Value: Sendable>(for work: @escaping @Sendable () async -> Value) -> Value {
        let slot = Slot<Value>()
        let finished = DispatchSemaphore(value: 0)
        Task.detached {
            slot.fill(await work())
            finished.signal()
        }
        finished.wait()
        return slot.take()
    }

    /// Hands the task's value to the waiting thread.
    private final class Slot<Value: Sendable>: Sendable {
        private let value = Mutex<Value?>(nil)

        func fill(_ newValue: Value) { value.withLock { $0 = newValue } }

        /// Only after `fill`: the semaphore orders the two.
        func take() -> Value { value.withLock { $0.take()! } }
    }

    /// Fails when called from an event callback, where blocking could stall the run that called it.
    static func checkNotInCallback(_ function: String) throws(LoomFailure) {
        guard ThreadState.current.callbackDepth == 0 else {
            throw LoomFailure(
                LOOM_ERROR_REENTRANT, "\(function) cannot be called from an event callback; call loom_interrupt there")
        }
    }
}
