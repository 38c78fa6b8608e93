extension ValidatedPrompt {
    /// What identifies the work this prompt asks of a device, apart from its seeds, text, numbers and input images:
    /// the classes of its nodes and the model files they name, one per line, sorted and without repeats. Reruns of a
    /// workflow with other settings share it, so a process can key what it learns about a workflow's work by it (the
    /// compute pipelines it needs) and prepare that before the next run of the same workflow asks.
    public func workload(in registry: NodeRegistry) -> String {
        var lines = Set<String>()
        for node in prompt.nodes {
            lines.insert(node.classType)
            guard let schema = registry.schema(for: node.classType) else { continue }
            for (name, value) in node.inputs {
                guard case .literal(.string(let file)) = value, let spec = schema.input(named: name),
                      case .combo(let options) = spec.kind, case .files(let folder) = options.choices,
                      folder != "input", !options.uploadsImage else { continue }
                lines.insert("\(folder)/\(file)")
            }
        }
        return lines.sorted().joined(separator: "\n")
    }
}
