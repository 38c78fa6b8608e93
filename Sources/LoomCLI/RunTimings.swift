import Foundation
import Loom
import Synchronization

/// Per-node wall time and resident memory for `loom run --timings`. Nodes that run alongside others (CPU-only
/// loaders) are timed from their `executing` event to the next one, so their share is approximate.
final class RunTimings: Sendable {
    struct Stage: Sendable {
        var node: String
        var seconds: Double = 0
        var residentBytesAfter: Int = 0
    }

    private struct State {
        var stages: [Stage] = []
        var current: (index: Int, since: Date)?
    }

    private let state = Mutex(State())

    func record(_ event: ExecutionEvent) {
        let now = Date()
        switch event {
        case .executing(_, let node?, _):
            state.withLock { state in
                Self.close(&state, at: now)
                state.stages.append(Stage(node: node))
                state.current = (state.stages.count - 1, now)
            }
        case .succeeded, .failed, .interrupted, .executing(_, nil, _):
            state.withLock { Self.close(&$0, at: now) }
        default:
            break
        }
    }

    private static func close(_ state: inout State, at now: Date) {
        guard let (index, since) = state.current else { return }
        state.stages[index].seconds += now.timeIntervalSince(since)
        state.stages[index].residentBytesAfter = ProcessMemory.residentBytes
        state.current = nil
    }

    /// A table in run order: seconds, share of the total, resident memory after the node; then the peak.
    func table(describe: (String) -> String) -> String {
        let stages = state.withLock { $0.stages }
        let total = max(stages.reduce(0) { $0 + $1.seconds }, 1e-9)
        var lines = ["  seconds  share  resident MiB  node"]
        for stage in stages {
            lines.append(String(
                format: "%9.3f %5.1f%% %13.1f  %@", stage.seconds, 100 * stage.seconds / total,
                Double(stage.residentBytesAfter) / 1_048_576, describe(stage.node)))
        }
        lines.append(String(format: "%9.3f         peak resident %.1f MiB", total, Double(ProcessMemory.peakResidentBytes) / 1_048_576))
        return lines.joined(separator: "\n")
    }
}

/// The process's resident memory, from the kernel.
enum ProcessMemory {
    static var residentBytes: Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static var peakResidentBytes: Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss * 1024
    }
}
