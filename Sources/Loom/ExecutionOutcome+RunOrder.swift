import LoomGraph

extension ExecutionOutcome {
    /// `nodes` in the order ComfyUI's history lists outputs: cached nodes first, then as they ran, others last.
    public func inRunOrder(_ nodes: some Sequence<String>) -> [String] {
        let rank = Dictionary(
            (cachedNodes + executedNodes).enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return nodes.sorted { (rank[$0] ?? .max, $0) < (rank[$1] ?? .max, $1) }
    }
}
