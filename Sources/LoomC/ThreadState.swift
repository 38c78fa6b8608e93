import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What Loom keeps per calling thread: the last failure's message and JSON (C strings that stay valid until the
/// thread's next Loom call) and whether the thread is inside an event callback. Threads are the host's, so this
/// lives in a pthread key, released when the thread ends.
final class ThreadState {
    private(set) var message: UnsafeMutablePointer<CChar>?
    private(set) var json: UnsafeMutablePointer<CChar>?
    /// Event callbacks running on this thread; blocking calls are refused while it is above zero.
    var callbackDepth = 0

    deinit {
        free(message)
        free(json)
    }

    func record(_ failure: LoomFailure?) {
        free(message)
        free(json)
        message = failure.map { strdup($0.message) }
        json = failure?.json.map { strdup($0) }
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { state in
            guard let state else { return }
            Unmanaged<ThreadState>.fromOpaque(state).release()
        }
        guard status == 0 else { fatalError("pthread_key_create failed (\(status)): no thread-local storage left") }
        return key
    }()

    static var current: ThreadState {
        if let existing = pthread_getspecific(key) {
            return Unmanaged<ThreadState>.fromOpaque(existing).takeUnretainedValue()
        }
        let state = ThreadState()
        pthread_setspecific(key, Unmanaged.passRetained(state).toOpaque())
        return state
    }
}
