/// Nodes waiting to run: each becomes ready when the nodes it waits on have results.
/// Output nodes are taken first, then the most recently readied (depth first, to free memory early).
/// While an exclusive node runs, only nodes that may run beside it are handed out.
struct ReadyQueue {
    private var waitingOn: [String: Set<String>] = [:]
    private var dependents: [String: [String]] = [:]
    private var readyOutputs: [String] = []
    private var readyOthers: [String] = []
    private var isOutput: [String: Bool] = [:]
    private var isExclusive: [String: Bool] = [:]
    private var members: Set<String> = []

    func contains(_ id: String) -> Bool { members.contains(id) }

    var firstWaiting: String? { waitingOn.first(where: { !$0.value.isEmpty })?.key }

    mutating func add(_ id: String, waitingOn dependencies: Set<String>, isOutput output: Bool, isExclusive exclusive: Bool) {
        members.insert(id)
        isOutput[id] = output
        isExclusive[id] = exclusive
        wait(id, on: dependencies)
    }

    /// A node that asked for more inputs goes back to waiting.
    mutating func requeue(_ id: String, waitingOn dependencies: Set<String>) {
        members.insert(id)
        wait(id, on: dependencies)
    }

    private mutating func wait(_ id: String, on dependencies: Set<String>) {
        waitingOn[id] = dependencies
        for dependency in dependencies { dependents[dependency, default: []].append(id) }
        if dependencies.isEmpty { makeReady(id) }
    }

    private mutating func makeReady(_ id: String) {
        waitingOn[id] = nil
        if isOutput[id] == true { readyOutputs.append(id) } else { readyOthers.append(id) }
    }

    mutating func next(allowingExclusive: Bool) -> String? {
        for index in [0, 1] {
            let list = index == 0 ? readyOutputs : readyOthers
            guard let position = list.lastIndex(where: { allowingExclusive || isExclusive[$0] != true }) else { continue }
            let id = index == 0 ? readyOutputs.remove(at: position) : readyOthers.remove(at: position)
            members.remove(id)
            return id
        }
        return nil
    }

    /// `id` has a result: whatever waited only on it becomes ready.
    mutating func resolve(_ id: String) {
        guard let waiting = dependents.removeValue(forKey: id) else { return }
        for dependent in waiting {
            guard var remaining = waitingOn[dependent] else { continue }
            remaining.remove(id)
            if remaining.isEmpty { makeReady(dependent) } else { waitingOn[dependent] = remaining }
        }
    }
}

/// A loop closed at run time by a node's expansion. Reported under ComfyUI's exception type name.
