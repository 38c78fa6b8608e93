import Synchronization

/// One node's entry in ComfyUI's `progress_state` message (comfy_execution/progress.py).
public struct NodeProgress: Sendable, Equatable {
    public enum State: String, Sendable {
        case running, finished
    }

    public var node: String
    public var state: State
    public var value: Double
    public var max: Double

    public init(node: String, state: State, value: Double, max: Double) {
        self.node = node
        self.state = state
        self.value = value
        self.max = max
    }
}

/// The progress of every node of a prompt that has started, kept as ComfyUI's progress registry keeps it:
/// a node starts at 0 of 1, takes the values it reports, and ends at its maximum. Each change gives the
/// `progress_state` event with all nodes so far. Node tasks report from several threads at once.
final class ProgressRegistry: Sendable {
    private let promptID: String
    private let nodes = Mutex<[NodeProgress]>([])

    init(promptID: String) {
        self.promptID = promptID
    }

    func start(_ node: String) -> ExecutionEvent {
        change(node) { $0 = NodeProgress(node: node, state: .running, value: 0, max: 1) }
    }

    func update(_ node: String, value: Double, max: Double) -> ExecutionEvent {
        change(node) { $0 = NodeProgress(node: node, state: .running, value: value, max: max) }
    }

    func finish(_ node: String) -> ExecutionEvent {
        change(node) { entry in
            entry.state = .finished
            entry.value = entry.max
        }
    }

    private func change(_ node: String, _ body: (inout NodeProgress) -> Void) -> ExecutionEvent {
        let snapshot = nodes.withLock { nodes in
            let index = nodes.firstIndex { $0.node == node } ?? {
                nodes.append(NodeProgress(node: node, state: .running, value: 0, max: 1))
                return nodes.count - 1
            }()
            body(&nodes[index])
            return nodes
        }
        return .progressState(promptID: promptID, nodes: snapshot)
    }
}
