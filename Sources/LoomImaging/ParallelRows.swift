import Dispatch

/// Splits independent rows of work across the CPU cores. Each row is computed exactly as it would be
/// alone, so results do not depend on the split.
enum ParallelRows {
    /// Below this many samples per call, threads cost more than they save.
    static let minimumWork = 1 << 16

    /// Calls `body` with consecutive ranges covering `0..<count`, concurrently when the work is large.
    static func forEach(_ count: Int, samplesPerRow: Int, _ body: @Sendable (Range<Int>) -> Void) {
        let chunks = min(count, max(1, count * max(samplesPerRow, 1) / minimumWork), 64)
        guard chunks > 1 else {
            if count > 0 { body(0..<count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            body(count * chunk / chunks..<count * (chunk + 1) / chunks)
        }
    }
}

/// A buffer that several threads write, each its own rows; it must outlive the parallel call.
struct SharedPointer<Element>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>

    /// An empty buffer may have no address; a dangling one stands in, never read since there are no rows.
    init(_ buffer: UnsafeMutableBufferPointer<Element>) {
        base = buffer.baseAddress ?? UnsafeMutablePointer(bitPattern: MemoryLayout<Element>.alignment)!
    }
}

/// A buffer that several threads read while the parallel call runs.
struct SharedSource<Element>: @unchecked Sendable {
    let base: UnsafePointer<Element>

    init(_ buffer: UnsafeBufferPointer<Element>) {
        base = buffer.baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<Element>.alignment)!
    }
}
