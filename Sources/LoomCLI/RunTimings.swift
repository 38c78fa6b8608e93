import Foundation
import Loom
import Synchronization

/// Per-node wall time and resident memory for `loom run --timings`. Each node is timed from the progress update
/// that shows it running to the one that shows it finished, so nodes running side by side (CPU-only loaders) each
/// get their own time.
final class RunTimings: Sendable {
    struct Stage: Sendable {
        var node: String
        var seconds: Double = 0
        var residentBytesAfter: Int = 0
        var runningSince: Date?
    }

    private let state = Mutex<[Stage]>([])

    func record(_ event: ExecutionEvent) {
        guard case .progressState(_, let nodes) = event else { return }
        let now = Date()
        state.withLock { stages in
            for progress in nodes {
                let index: Int
                if let known = stages.firstIndex(where: { $0.node == progress.node }) {
                    index = known
                } else {
                    stages.append(Stage(node: progress.node))
                    index = stages.count - 1
                }
                switch progress.state {
                case .running where stages[index].runningSince == nil:
                    stages[index].runningSince = now
                case .finished:
                    guard let since = stages[index].runningSince else { continue }
                    stages[index].seconds += now.timeIntervalSince(since)
                    stages[index].residentBytesAfter = ProcessMemory.residentBytes
                    stages[index].runningSince = nil
                default:
                    break
                }
            }
        }
    }

    /// A table in run order: seconds, share of the total, resident memory after the node; then the peak.
    func table(describe: (String) -> String) -> String {
        let stages = state.withLock { $0 }
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

extension RunTimings {
    /// `{"seconds": wall time, "nodes": [{"node", "class_type", "seconds"}, ...]}` in run order.
    func json(seconds: Double, classType: (String) -> String) -> JSONValue {
        let stages = state.withLock { $0 }
        let nodes: [JSONValue] = stages.map { stage in
            ["node": .string(stage.node), "class_type": .string(classType(stage.node)), "seconds": .double(stage.seconds)]
        }
        return ["seconds": .double(seconds), "nodes": .array(nodes)]
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
