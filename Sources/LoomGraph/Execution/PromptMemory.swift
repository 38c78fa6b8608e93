import Synchronization

/// The host memory one prompt's node outputs hold, kept within `ResourceLimits.bytesPerPrompt`.
///
/// A prompt keeps every output until it ends, so an output counts from when its node finishes; a buffer that
/// several outputs share counts once. Nodes that allocate a size their inputs choose check it against what is left
/// first, and the executor fails the node whose outputs take the total past the limit. Each prompt run has its own,
/// so nothing a failed prompt held counts against the next.
public final class PromptMemory: Sendable {
    public let limit: Int
    private let state = Mutex(State())

    private struct State {
        var held = 0
        var buffers: Set<UInt> = []
    }

    public init(limit: Int = .max) {
        self.limit = limit
    }

    /// Bytes the outputs so far hold.
    public var heldBytes: Int { state.withLock { $0.held } }

    /// Counts what `values` hold beyond the buffers already counted; returns the bytes added.
    @discardableResult
    public func hold(_ values: some Sequence<NodeValue>) -> Int {
        state.withLock { state in
            var added = 0
            for value in values {
                guard let footprint = value as? any MemoryFootprint else { continue }
                guard let buffers = footprint.memoryBuffers else {
                    added += footprint.memoryFootprint
                    continue
                }
                for buffer in buffers where buffer.bytes > 0 && state.buffers.insert(buffer.address).inserted {
                    added += buffer.bytes
                }
            }
            state.held += added
            return added
        }
    }

    /// Mebibytes as messages print them.
    public static func mebibytes(_ bytes: Double) -> String {
        let value = (bytes / 1_048_576).rounded(.up)
        guard value.isFinite, value < 1e15 else { return "\(value)" }
        var digits = Array(String(Int(value)))
        var position = digits.count - 3
        while position > 0 {
            digits.insert(",", at: position)
            position -= 3
        }
        return String(digits) + " MiB"
    }
}

/// A node's output took its prompt's outputs past `ResourceLimits.bytesPerPrompt`.
public struct PromptMemoryExceeded: Error, CustomStringConvertible {
    public var node: String
    public var classType: String
    public var output: String
    public var outputBytes: Int
    public var heldBytes: Int
    public var limit: Int

    public var description: String {
        "node \(node) (\(classType)): its \(output) output holds \(PromptMemory.mebibytes(Double(outputBytes))), which brings this prompt's outputs to \(PromptMemory.mebibytes(Double(heldBytes))), more than the limit of \(PromptMemory.mebibytes(Double(limit))) per prompt (--max-prompt-memory-mb)"
    }
}
