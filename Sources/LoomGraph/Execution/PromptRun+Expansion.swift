extension PromptRun {
    /// One call of a node that expanded: either its plain result or where its expansion's outputs come from.
    enum PendingCall {
        case finished(NodeResult)
        case expanded(outputs: [PromptInput])
    }

    /// Splices an expansion into the prompt under ids prefixed with `prefix`, returning where its outputs come from.
    mutating func splice(_ expansion: GraphExpansion, prefix: String, expanding id: String) throws -> [PromptInput] {
        let local = Set(expansion.nodes.map(\.id))
        func rewrite(_ input: PromptInput) -> PromptInput {
            guard case .link(let link) = input, local.contains(link.node) else { return input }
            return .link(NodeLink(node: "\(prefix).\(link.node)", output: link.output))
        }
        var added: [String] = []
        for var node in expansion.nodes {
            guard registry[node.classType] != nil else {
                throw makeFailure(id, error: NodeContractError(message: "expansion adds node \(node.id) of unknown class \(node.classType)"))
            }
            node.id = "\(prefix).\(node.id)"
            node.inputs = node.inputs.map { ($0.name, rewrite($0.value)) }
            prompt.insert(node)
            added.append(node.id)
        }
        let computed = SignatureBuilder(prompt: prompt, registry: registry, resources: resources).signatures(for: added)
        signatures.merge(computed.signatures, uniquingKeysWith: { existing, _ in existing })
        volatile.formUnion(computed.volatile)
        return expansion.outputs.map(rewrite)
    }

    /// The result a call stands for, once its expansion has run.
    func result(of id: String, from call: PendingCall, schema: NodeSchema) throws -> NodeResult {
        let sources: [PromptInput]
        switch call {
        case .finished(let result): return result
        case .expanded(let outputs): sources = outputs
        }
        guard sources.count == schema.outputs.count else {
            throw makeFailure(id, error: NodeContractError(message: "expansion gives \(sources.count) outputs, node declares \(schema.outputs.count)"))
        }
        let values: [NodeValue] = try sources.enumerated().map { index, source in
            let value: [NodeValue]
            switch source {
            case .link(let link):
                guard let output = results[link.node], output.slots.indices.contains(link.output) else {
                    throw makeFailure(id, error: NodeContractError(message: "expansion output refers to missing output \(link.output) of node \(link.node)"))
                }
                value = output.slots[link.output]
            case .literal(let literal):
                value = [LiteralCoercion.plainValue(literal)]
            case .malformedLink(let literal):
                throw makeFailure(id, error: NodeContractError(message: "malformed expansion output \(literal.jsonText(indent: nil))"))
            }
            // A list output takes the whole list; a plain one the single value it names.
            return schema.outputs[index].isList ? value as [NodeValue] : (value.count == 1 ? value[0] : value as [NodeValue])
        }
        return NodeResult(values)
    }
}
