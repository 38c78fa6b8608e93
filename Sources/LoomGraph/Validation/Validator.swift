import Foundation

/// Checks a prompt the way ComfyUI's `validate_prompt` does — same error types, same `node_errors` shape,
/// same partial validity — with messages that also name the node, the input, what came and what was expected.
public struct Validator: Sendable {
    public var registry: NodeRegistry
    public var resources: Resources

    public init(registry: NodeRegistry, resources: Resources = Resources()) {
        self.registry = registry
        self.resources = resources
    }

    /// Validates `prompt`; throws when no output can run, otherwise returns the outputs that can.
    /// `targets` restricts which output nodes count (ComfyUI's `partial_execution_targets`).
    public func validate(_ prompt: Prompt, targets: [String]? = nil) throws(PromptValidationError) -> ValidatedPrompt {
        var outputs: [String] = []
        for node in prompt.nodes {
            guard let type = registry[node.classType] else {
                let title = node.title ?? node.classType
                throw PromptValidationError(
                    error: ValidationIssue(
                        type: "missing_node_type",
                        message: "Node '\(title)' not found. The custom node may not be installed.",
                        details: "Node ID '#\(node.id)'",
                        extraInfo: [
                            "node_id": .string(node.id), "class_type": .string(node.classType), "node_title": .string(title),
                        ]),
                    nodeErrors: [:])
            }
            if type.schema.isOutputNode, targets.map({ $0.contains(node.id) }) ?? true {
                outputs.append(node.id)
            }
        }
        if let targets, targets.isEmpty {
            throw PromptValidationError(
                error: ValidationIssue(
                    type: "invalid_prompt", message: "partial_execution_targets is empty",
                    details: "name at least one output node to run, or leave the list out to run them all"),
                nodeErrors: [:])
        }
        guard !outputs.isEmpty else {
            throw PromptValidationError(
                error: ValidationIssue(type: "prompt_no_outputs", message: "Prompt has no outputs", details: ""),
                nodeErrors: [:])
        }

        var pass = ValidationPass(prompt: prompt, registry: registry, resources: resources)
        var goodOutputs: [String] = []
        var nodeErrors: [String: NodeValidationErrors] = [:]
        var failures: [ValidationIssue] = []
        for output in outputs {
            pass.validate(output)
            if pass.isValid(output) {
                goodOutputs.append(output)
                continue
            }
            for id in pass.ancestors(of: output) {
                guard let issues = pass.issues[id], !issues.isEmpty else { continue }
                if nodeErrors[id] == nil {
                    let node = prompt[id]!
                    nodeErrors[id] = NodeValidationErrors(
                        classType: node.classType, title: node.title, errors: issues, dependentOutputs: [])
                    failures += issues
                }
                nodeErrors[id]!.dependentOutputs.append(output)
            }
        }
        guard !goodOutputs.isEmpty else {
            throw PromptValidationError(
                error: ValidationIssue(
                    type: "prompt_outputs_failed_validation", message: "Prompt outputs failed validation",
                    details: failures.map(\.description).joined(separator: "\n")),
                nodeErrors: nodeErrors)
        }
        var validated = ValidatedPrompt(prompt: prompt, outputs: goodOutputs, nodeErrors: nodeErrors)
        validated.deferredFailures = pass.deferredFailures()
        return validated
    }
}

/// One validation run: per-node verdicts, memoised across outputs, computed without recursion
/// so that chains thousands of nodes deep validate.
private struct ValidationPass {
    let prompt: Prompt
    let registry: NodeRegistry
    let resources: Resources
    /// Own problems of each visited node; a node without an entry has not been validated.
    var issues: [String: [ValidationIssue]] = [:]
    var valid: [String: Bool] = [:]
    /// The links each node depends on that are well-formed and type-correct.
    var upstream: [String: [String]] = [:]
    /// Well-formed links into lazy inputs: validated, but a failure there only matters if the input is asked for.
    var lazyUpstream: [String: [(input: String, source: String)]] = [:]

    init(prompt: Prompt, registry: NodeRegistry, resources: Resources) {
        self.prompt = prompt
        self.registry = registry
        self.resources = resources
    }

    func isValid(_ id: String) -> Bool { valid[id] ?? false }

    func ancestors(of id: String) -> [String] {
        var seen: Set<String> = [id]
        var order = [id]
        var index = 0
        while index < order.count {
            for next in upstream[order[index]] ?? [] where seen.insert(next).inserted { order.append(next) }
            index += 1
        }
        return order
    }

    mutating func validate(_ root: String) {
        enum Step { case enter(String), exit(String) }
        var stack: [Step] = [.enter(root)]
        var path: [String] = []
        var onPath: Set<String> = []
        while let step = stack.popLast() {
            switch step {
            case .enter(let id):
                if valid[id] != nil { continue }
                if onPath.contains(id) {
                    reportCycle(closingAt: id, path: path)
                    continue
                }
                path.append(id)
                onPath.insert(id)
                let (ownIssues, dependencies, lazyLinks) = checkOwnInputs(of: id)
                issues[id] = ownIssues
                upstream[id] = dependencies
                lazyUpstream[id] = lazyLinks
                stack.append(.exit(id))
                for dependency in (dependencies + lazyLinks.map(\.source)).reversed() where valid[dependency] == nil {
                    stack.append(.enter(dependency))
                }
            case .exit(let id):
                path.removeLast()
                onPath.remove(id)
                let dependenciesValid = (upstream[id] ?? []).allSatisfy { valid[$0] == true }
                valid[id] = (issues[id] ?? []).isEmpty && dependenciesValid
            }
        }
    }

    /// Each lazy link from an invalid source, with the errors of that source's branch.
    func deferredFailures() -> [DeferredInputFailure] {
        lazyUpstream.sorted { $0.key < $1.key }.flatMap { node, links in
            links.filter { !isValid($0.source) }.map { link in
                var nodeErrors: [String: NodeValidationErrors] = [:]
                for id in ancestors(of: link.source) {
                    guard let own = issues[id], !own.isEmpty, let failed = prompt[id] else { continue }
                    nodeErrors[id] = NodeValidationErrors(
                        classType: failed.classType, title: failed.title, errors: own, dependentOutputs: [])
                }
                return DeferredInputFailure(node: node, input: link.input, nodeErrors: nodeErrors)
            }
        }
    }

    /// Every node on the loop gets the error, as ComfyUI reports it.
    mutating func reportCycle(closingAt id: String, path: [String]) {
        guard let start = path.firstIndex(of: id) else { return }
        let cycle = Array(path[start...]) + [id]
        let described = cycle.map { "\($0) (\(prompt[$0]?.classType ?? "?"))" }.joined(separator: " -> ")
        let members = Array(path[start...])
        for member in members {
            let issue = ValidationIssue(
                type: "dependency_cycle", message: "Dependency cycle detected", details: described,
                extraInfo: ["node_id": .string(member), "cycle_nodes": .array(members.map(JSONValue.string))])
            if !(issues[member] ?? []).contains(issue) { issues[member, default: []].append(issue) }
        }
    }

    /// The node's own problems, the upstream nodes it needs to be valid, and the sources of its lazy inputs.
    func checkOwnInputs(of id: String) -> ([ValidationIssue], [String], [(input: String, source: String)]) {
        guard let node = prompt[id], let type = registry[node.classType] else { return ([], [], []) }
        let schema = type.schema
        var found: [ValidationIssue] = []
        var dependencies: [String] = []
        var lazyLinks: [(input: String, source: String)] = []
        var literals: [String: NodeValue] = [:]
        let where_ = NodeDescription(id: id, node: node)

        for spec in schema.inputs where spec.section != .hidden {
            guard let input = node[input: spec.name] else {
                if spec.section == .required {
                    found.append(ValidationIssue(
                        type: "required_input_missing", message: "Required input is missing", details: spec.name,
                        extraInfo: where_.extraInfo(input: spec.name, expected: expectation(spec))))
                }
                continue
            }
            switch input {
            case .malformedLink(let value):
                found.append(ValidationIssue(
                    type: "bad_linked_input",
                    message: "Bad linked input, must be a length-2 list of [node_id, slot_index]",
                    details: spec.name,
                    extraInfo: where_.extraInfo(input: spec.name, expected: expectation(spec), received: value)))
            case .link(let link):
                if let issue = checkLink(link, into: spec, at: where_) {
                    found.append(issue)
                } else if spec.isLazy {
                    lazyLinks.append((spec.name, link.node))
                } else {
                    dependencies.append(link.node)
                }
            case .literal(let literal):
                switch check(literal, for: spec, at: where_, customChecked: type.checkedInputs.contains(spec.name)) {
                case .success(let value): literals[spec.name] = value
                case .failure(let issue): found.append(issue)
                }
            }
        }
        // Undeclared linked inputs still need their source to run.
        for (name, input) in node.inputs where schema.input(named: name) == nil {
            if case .link(let link) = input, prompt[link.node] != nil { dependencies.append(link.node) }
        }
        if let message = type.validate(NodeInputs(literals, nodeID: id, classType: node.classType), resources: resources) {
            found.append(ValidationIssue(
                type: "custom_validation_failed", message: "Custom validation failed for node",
                details: message, extraInfo: where_.extraInfo(input: nil, expected: nil)))
        }
        return (found, dependencies, lazyLinks)
    }

    func checkLink(_ link: NodeLink, into spec: InputSpec, at where_: NodeDescription) -> ValidationIssue? {
        guard let source = prompt[link.node] else {
            return ValidationIssue(
                type: "bad_linked_input", message: "Linked node does not exist",
                details: "\(spec.name): node \(link.node) is not in the prompt",
                extraInfo: where_.extraInfo(input: spec.name, expected: expectation(spec), received: PromptInput.link(link).json))
        }
        guard let sourceType = registry[source.classType] else { return nil }
        let outputs = sourceType.schema.outputs
        guard outputs.indices.contains(link.output) else {
            return ValidationIssue(
                type: "bad_linked_input", message: "Linked output does not exist",
                details: "\(spec.name): \(source.classType) node \(link.node) has \(outputs.count) output(s), link asks for index \(link.output)",
                extraInfo: where_.extraInfo(input: spec.name, expected: expectation(spec), received: PromptInput.link(link).json))
        }
        let received = outputs[link.output].type
        guard socketTypes(received, match: spec.typeName) else {
            var extra = where_.extraInfo(input: spec.name, expected: spec.typeName)
            extra["received_type"] = .string(received)
            extra["linked_node"] = PromptInput.link(link).json
            return ValidationIssue(
                type: "return_type_mismatch", message: "Return type mismatch between linked nodes",
                details: "\(spec.name), received_type(\(received)) mismatch input_type(\(spec.typeName))",
                extraInfo: extra)
        }
        return nil
    }

    func check(_ literal: JSONValue, for spec: InputSpec, at where_: NodeDescription, customChecked: Bool)
        -> Result<NodeValue, ValidationIssue>
    {
        // A literal can stand in for a socket only where some member of its type is a widget type, or where the
        // node checks it itself; ComfyUI would pass it on and fail at run time.
        if case .link(let type) = spec.kind, !customChecked, !Self.acceptsLiterals(type) {
            return .failure(ValidationIssue(
                type: "invalid_input_type", message: "Input expects a link, not a literal value",
                details: "\(spec.name): received \(literal.jsonText(indent: nil)), expected a link from an output of type \(type)",
                extraInfo: where_.extraInfo(input: spec.name, expected: expectation(spec), received: literal)))
        }
        // Integers are range-checked before they become an Int: ComfyUI's `int()` has no upper limit.
        if case .int(let options) = spec.kind, !customChecked, case .success(let number) = LiteralCoercion.integer(literal) {
            if let min = options.min, number < min {
                return .failure(outOfRange(number, literal, spec, at: where_, type: "value_smaller_than_min", "smaller than min of", min))
            }
            if let max = options.max, number > max {
                return .failure(outOfRange(number, literal, spec, at: where_, type: "value_bigger_than_max", "bigger than max of", max))
            }
        }
        let value: NodeValue
        switch LiteralCoercion.value(literal, for: spec.kind) {
        case .success(let coerced): value = coerced
        case .failure(let failure):
            return .failure(ValidationIssue(
                type: "invalid_input_type",
                message: "Failed to convert an input value to a \(spec.typeName) value",
                details: "\(spec.name), \(LiteralCoercion.pythonString(literal)), \(failure.message)",
                extraInfo: where_.extraInfo(input: spec.name, expected: expectation(spec), received: literal)))
        }
        guard !customChecked else { return .success(value) }
        var bounds: (min: NodeValue?, max: NodeValue?, tooSmall: Bool, tooBig: Bool)?
        switch spec.kind {
        case .float(let options):
            let number = value as! Double
            bounds = (options.min, options.max, options.min.map { number < $0 } ?? false, options.max.map { number > $0 } ?? false)
        case .combo(let options):
            let choices = options.choices.choices(in: resources.get((any FileCatalog).self))
            let text = value as! String
            if !choices.contains(text) {
                return .failure(comboMiss(text, literal: literal, choices: choices, options: options, spec: spec, at: where_))
            }
            return .success(value)
        default:
            return .success(value)
        }
        if let bounds, bounds.tooSmall, let min = bounds.min {
            return .failure(outOfRange(value, literal, spec, at: where_, type: "value_smaller_than_min", "smaller than min of", min))
        }
        if let bounds, bounds.tooBig, let max = bounds.max {
            return .failure(outOfRange(value, literal, spec, at: where_, type: "value_bigger_than_max", "bigger than max of", max))
        }
        return .success(value)
    }

    static func acceptsLiterals(_ type: String) -> Bool {
        type.split(separator: ",").contains { member in
            ["*", "INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"].contains(member.trimmingCharacters(in: .whitespaces))
        }
    }

    func outOfRange(
        _ value: NodeValue, _ literal: JSONValue, _ spec: InputSpec, at where_: NodeDescription, type: String,
        _ relation: String, _ bound: NodeValue
    ) -> ValidationIssue {
        ValidationIssue(
            type: type,
            message: "Value \(LiteralCoercion.pythonNumber(value)) \(relation) \(LiteralCoercion.pythonNumber(bound))",
            details: spec.name,
            extraInfo: where_.extraInfo(input: spec.name, expected: expectation(spec), received: literal))
    }

    func comboMiss(
        _ text: String, literal: JSONValue, choices: [String], options: ComboOptions, spec: InputSpec,
        at where_: NodeDescription
    ) -> ValidationIssue {
        // Long lists (scanned model folders) are summarised, as ComfyUI does.
        let listed = choices.count > 20
            ? "(list of length \(choices.count))"
            : "[" + choices.map { "'\($0)'" }.joined(separator: ", ") + "]"
        var details = "\(spec.name): '\(text)' not in \(listed)"
        var extra = where_.extraInfo(input: spec.name, expected: nil, received: literal)
        if case .files(let folder) = options.choices {
            let catalog = resources.get((any FileCatalog).self)
            let searched = catalog?.searchedLocations(for: folder) ?? []
            details += searched.isEmpty
                ? " — no '\(folder)' folder is configured"
                : " — searched the '\(folder)' folder: " + searched.joined(separator: ", ")
            extra["searched_folders"] = .array(searched.map(JSONValue.string))
        }
        extra["input_config"] = choices.count > 20 ? .null : .array([.array(choices.map(JSONValue.string)), .object([:])])
        return ValidationIssue(type: "value_not_in_list", message: "Value not in list", details: details, extraInfo: extra)
    }

    func range(_ min: NodeValue?, _ max: NodeValue?) -> String {
        switch (min, max) {
        case (nil, nil): ""
        case (let min?, nil): " >= \(LiteralCoercion.pythonNumber(min))"
        case (nil, let max?): " <= \(LiteralCoercion.pythonNumber(max))"
        case (let min?, let max?): " in \(LiteralCoercion.pythonNumber(min))...\(LiteralCoercion.pythonNumber(max))"
        }
    }

    func expectation(_ spec: InputSpec) -> String {
        switch spec.kind {
        case .int(let o): "INT" + range(o.min, o.max)
        case .float(let o): "FLOAT" + range(o.min, o.max)
        case .string: "STRING"
        case .boolean: "BOOLEAN"
        case .combo: "one of the listed choices"
        case .link(let type): "a link from an output of type \(type)"
        case .hidden(let value): value.rawValue
        }
    }
}

/// Names a node in messages: id, class and title.
private struct NodeDescription {
    let id: String
    let node: PromptNode

    func extraInfo(input: String?, expected: String?, received: JSONValue? = nil) -> JSONObject {
        var extra = JSONObject()
        if let input { extra["input_name"] = .string(input) }
        if let received { extra["received_value"] = received }
        if let expected { extra["expected"] = .string(expected) }
        extra["node_id"] = .string(id)
        extra["class_type"] = .string(node.classType)
        if let title = node.title { extra["node_title"] = .string(title) }
        return extra
    }
}
