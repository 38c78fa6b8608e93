import CLoom
import Foundation

// The C entry points share these: every call clears or sets the thread's last error, and returns its status.

/// Runs a C call's body, recording its failure (or clearing the last one) for `loom_last_error`.
func exported(_ body: () throws(LoomFailure) -> Void) -> loom_status {
    let state = ThreadState.current
    do {
        try body()
        state.record(nil)
        return LOOM_OK
    } catch {
        state.record(error)
        return error.status
    }
}

/// Checks an out-parameter and clears it, so a failed call leaves NULL behind.
func outParameter<Value>(_ pointer: UnsafeMutablePointer<Value?>?, _ name: String) throws(LoomFailure)
    -> UnsafeMutablePointer<Value?>
{
    let pointer = try LoomFailure.required(pointer, name)
    pointer.pointee = nil
    return pointer
}

/// A copy of `text` for the caller to release with `loom_free`.
func callerString(_ text: String) throws(LoomFailure) -> UnsafeMutablePointer<CChar> {
    guard let copy = strdup(text) else { throw LoomFailure(LOOM_ERROR_INTERNAL, "out of memory for \(text.utf8.count) bytes") }
    return copy
}
