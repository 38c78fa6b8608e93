/// One node's work, ready to run in its own task: the node is called once per list element (or once with whole
/// lists), as ComfyUI maps nodes over lists.
struct NodeInvocation: Sendable {
    let instance: any Node
    let schema: NodeSchema
    let node: PromptNode
    let lists: [String: [NodeValue]]
    let linked: Set<String>
    let context: NodeContext
    let runsConcurrently: Bool
    let promptID: String
    /// For blocker reports, which name the nodes that ran before.
    let executedBefore: [String]
    let events: @Sendable (ExecutionEvent) -> Void

    func perform() async throws -> [NodeResult] {
        let callCount: Int
        if schema.takesInputsAsLists {
            callCount = 1
        } else if lists.values.contains(where: \.isEmpty) {
            callCount = 0
        } else {
            callCount = lists.values.map(\.count).max() ?? 1
        }
        var results: [NodeResult] = []
        for index in 0..<callCount {
            try context.checkInterrupted()
            var values: [String: NodeValue] = [:]
            for (name, list) in lists {
                values[name] = schema.takesInputsAsLists ? list as [NodeValue] : list[min(index, list.count - 1)]
            }
            if let blocker = blocker(in: values) {
                results.append(NodeResult(Array(repeating: report(blocker), count: schema.outputs.count)))
                continue
            }
            let inputs = NodeInputs(values, linkedNames: linked, nodeID: node.id, classType: node.classType)
            results.append(try await instance.execute(inputs, context: context))
        }
        return results
    }

    private func blocker(in values: [String: NodeValue]) -> ExecutionBlocker? {
        for value in values.values {
            if let blocker = value as? ExecutionBlocker { return blocker }
            if schema.takesInputsAsLists, let list = value as? [NodeValue],
                let blocker = list.lazy.compactMap({ $0 as? ExecutionBlocker }).first
            {
                return blocker
            }
        }
        return nil
    }

    /// A blocker with a message is reported once and travels on silently.
    private func report(_ blocker: ExecutionBlocker) -> ExecutionBlocker {
        guard let message = blocker.message else { return blocker }
        events(.failed(ExecutionFailure(
            promptID: promptID, nodeID: node.id, nodeType: node.classType, nodeTitle: node.title, executed: executedBefore,
            exceptionMessage: "Execution Blocked: \(message)", exceptionType: "ExecutionBlocked", traceback: [],
            currentInputs: [:], currentOutputs: [:])))
        return ExecutionBlocker(message: nil)
    }

    /// Per-call results joined into one output: list outputs concatenate, others collect one value per call;
    /// UI lists concatenate too.
    static func merge(_ results: [NodeResult], schema: NodeSchema) -> NodeOutput {
        var slots: [[NodeValue]] = Array(repeating: [], count: schema.outputs.count)
        for result in results {
            for (index, value) in result.outputs.enumerated() where index < slots.count {
                if schema.outputs[index].isList, let list = value as? [NodeValue] {
                    slots[index].append(contentsOf: list)
                } else {
                    slots[index].append(value)
                }
            }
        }
        var ui: JSONObject?
        for result in results {
            guard let part = result.ui else { continue }
            var merged = ui ?? JSONObject()
            for (key, value) in part {
                if case .array(let existing)? = merged[key], case .array(let more) = value {
                    merged[key] = .array(existing + more)
                } else {
                    merged[key] = value
                }
            }
            ui = merged
        }
        return NodeOutput(slots: slots, ui: ui)
    }
}
