import Foundation
import Yams

/// Loom's hand-written workflow format. Each top-level key names a node; `node:` gives its class, other keys
/// are inputs. A link is written `$name.OUTPUT` (or `$name.0` by index, or `$name` for the first output);
/// a string that starts with `$` is written `$$`. Missing required widget inputs take the schema's defaults.
///
///     loader:
///       node: CheckpointLoaderSimple
///       ckpt_name: flux1-dev.safetensors
///     sampler:
///       node: KSampler
///       model: $loader.MODEL
///       seed: 42
///
/// `title:` sets the UI title, `group:` puts the node in a named UI group and `id:` keeps a ComfyUI node id; an input whose name collides with one of
/// these keys goes under `inputs:`.
public struct YAMLWorkflowFormat: Sendable {
    public var registry: NodeRegistry

    public init(registry: NodeRegistry) {
        self.registry = registry
    }

    static let reservedKeys: Set<String> = ["node", "title", "id", "group", "inputs"]

    // MARK: Reading

    public func prompt(fromYAML text: String) throws(WorkflowFormatError) -> Prompt {
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: text, Self.resolver)
        } catch {
            throw WorkflowFormatError("invalid YAML: \(error)")
        }
        guard let root else { throw WorkflowFormatError("the YAML workflow is empty") }
        guard case .mapping(let mapping) = root else {
            throw WorkflowFormatError("\(Self.place(root))a YAML workflow is a mapping of node names to nodes")
        }
        var entries: [(name: String, id: String, node: Yams.Node.Mapping, mark: Yams.Node)] = []
        for (key, value) in mapping {
            guard let name = key.string else { throw WorkflowFormatError("\(Self.place(key))node names must be strings") }
            guard case .mapping(let fields) = value else {
                throw WorkflowFormatError("\(Self.place(value))node '\(name)' must be a mapping with a 'node:' class")
            }
            let id = fields["id"].flatMap(Self.scalarText) ?? name
            entries.append((name, id, fields, value))
        }
        var expansion = YAMLExpansion(budget: text.utf8.count + Self.aliasAllowance)
        let idsByName = Dictionary(entries.map { ($0.name, $0.id) }, uniquingKeysWith: { first, _ in first })
        let classByName = Dictionary(entries.compactMap { entry in entry.node["node"]?.string.map { (entry.name, $0) } }, uniquingKeysWith: { a, _ in a })

        var prompt = Prompt()
        for entry in entries {
            guard let classType = entry.node["node"]?.string else {
                throw WorkflowFormatError("\(Self.place(entry.mark))node '\(entry.name)' has no 'node:' class")
            }
            guard prompt[entry.id] == nil else {
                throw WorkflowFormatError("\(Self.place(entry.mark))two nodes share the id '\(entry.id)'")
            }
            var node = PromptNode(id: entry.id, classType: classType, title: entry.node["title"].flatMap(Self.scalarText))
            if let group = entry.node["group"].flatMap(Self.scalarText) { node.group = group }
            var fields: [(Yams.Node, Yams.Node)] = entry.node.filter { !Self.reservedKeys.contains($0.key.string ?? "") }
            if let nested = entry.node["inputs"] {
                guard case .mapping(let inputs) = nested else {
                    throw WorkflowFormatError("\(Self.place(nested))'inputs' of node '\(entry.name)' must be a mapping")
                }
                fields += inputs.map { ($0.key, $0.value) }
            }
            for (key, value) in fields {
                guard let inputName = key.string else { continue }
                node[input: inputName] = try input(
                    value, named: inputName, of: entry.name, ids: idsByName, classes: classByName, expansion: &expansion)
            }
            if let schema = registry.schema(for: classType) {
                for spec in schema.inputs where spec.section == .required && node[input: spec.name] == nil {
                    if let value = spec.kind.defaultValue { node[input: spec.name] = .literal(value) }
                }
            }
            prompt.insert(node)
        }
        return prompt
    }

    private func input(
        _ value: Yams.Node, named inputName: String, of nodeName: String, ids: [String: String], classes: [String: String],
        expansion: inout YAMLExpansion
    ) throws(WorkflowFormatError) -> PromptInput {
        let literal = try expansion.json(value)
        if case .scalar(let scalar) = value, literal == .string(scalar.string), scalar.string.hasPrefix("$") {
            let text = scalar.string
            if text.hasPrefix("$$") { return .literal(.string(String(text.dropFirst()))) }
            return .link(try reference(String(text.dropFirst()), at: value, in: nodeName, input: inputName, ids: ids, classes: classes))
        }
        return .literal(literal)
    }

    private func reference(
        _ text: String, at mark: Yams.Node, in nodeName: String, input: String, ids: [String: String],
        classes: [String: String]
    ) throws(WorkflowFormatError) -> NodeLink {
        let name: String
        let output: Substring?
        if let dot = text.lastIndex(of: "."), ids[text] == nil {
            name = String(text[..<dot])
            output = text[text.index(after: dot)...]
        } else {
            name = text
            output = nil
        }
        guard let id = ids[name] else {
            throw WorkflowFormatError(
                "\(Self.place(mark))node '\(nodeName)', input '\(input)': '$\(text)' names no node (known: \(ids.keys.sorted().joined(separator: ", ")))")
        }
        guard let output else { return NodeLink(node: id, output: 0) }
        if let index = Int(output) { return NodeLink(node: id, output: index) }
        let outputs = classes[name].flatMap { registry.schema(for: $0)?.outputs } ?? []
        guard let index = outputs.firstIndex(where: { $0.name == output }) ?? outputs.firstIndex(where: { $0.type == output }) else {
            let known = outputs.map(\.name).joined(separator: ", ")
            throw WorkflowFormatError(
                "\(Self.place(mark))node '\(nodeName)', input '\(input)': node '\(name)' has no output '\(output)'"
                    + (known.isEmpty ? " (use an output index such as $\(name).0)" : " (outputs: \(known))"))
        }
        return NodeLink(node: id, output: index)
    }

    // MARK: Writing

    public func yaml(from prompt: Prompt) -> String {
        let names = nodeNames(for: prompt)
        var pairs: [(Yams.Node, Yams.Node)] = []
        for node in prompt.nodes {
            let name = names[node.id]!
            var fields: [(Yams.Node, Yams.Node)] = [(Self.scalar("node"), Self.scalar(node.classType))]
            if let title = node.title { fields.append((Self.scalar("title"), Self.string(title))) }
            if let group = node.group { fields.append((Self.scalar("group"), Self.string(group))) }
            if node.id != name {
                let plain = node.id.allSatisfy(\.isNumber) && !node.id.isEmpty
                fields.append((Self.scalar("id"), plain ? Self.scalar(node.id) : Self.string(node.id)))
            }
            var nested: [(Yams.Node, Yams.Node)] = []
            for (inputName, input) in node.inputs {
                let value: Yams.Node
                switch input {
                case .link(let link):
                    value = Self.scalar("$" + linkText(link, names: names, prompt: prompt))
                case .literal(let literal):
                    value = Self.node(literal)
                case .malformedLink(let literal):
                    value = Self.node(literal)
                }
                if Self.reservedKeys.contains(inputName) {
                    nested.append((Self.string(inputName), value))
                } else {
                    fields.append((Self.string(inputName), value))
                }
            }
            if !nested.isEmpty { fields.append((Self.scalar("inputs"), .mapping(Yams.Node.Mapping(nested)))) }
            pairs.append((Self.string(name), .mapping(Yams.Node.Mapping(fields))))
        }
        let text = (try? Yams.serialize(node: .mapping(Yams.Node.Mapping(pairs)), indent: 2, width: -1, allowUnicode: true)) ?? ""
        // A blank line between nodes makes hand editing easier.
        return text.replacingOccurrences(of: "\n(?=[^ \\n])", with: "\n\n", options: .regularExpression)
    }

    private func linkText(_ link: NodeLink, names: [String: String], prompt: Prompt) -> String {
        let name = names[link.node] ?? link.node
        guard let source = prompt[link.node], let outputs = registry.schema(for: source.classType)?.outputs,
            outputs.indices.contains(link.output)
        else { return "\(name).\(link.output)" }
        let outputName = outputs[link.output].name
        let unique = outputs.filter { $0.name == outputName }.count == 1
        return unique && !outputName.contains(".") ? "\(name).\(outputName)" : "\(name).\(link.output)"
    }

    /// Readable, unique names: ids that already read as names are kept; otherwise names come from titles
    /// or class names: `KSampler` → `ksampler`, "Load Checkpoint" → `load_checkpoint`.
    private func nodeNames(for prompt: Prompt) -> [String: String] {
        var used = Set(prompt.ids.filter(Self.isName))
        var names: [String: String] = [:]
        for node in prompt.nodes {
            if Self.isName(node.id) {
                names[node.id] = node.id
                continue
            }
            let base = Self.identifier(from: node.title ?? node.classType)
            var name = base
            var counter = 2
            while used.contains(name) {
                name = "\(base)_\(counter)"
                counter += 1
            }
            used.insert(name)
            names[node.id] = name
        }
        return names
    }

    static func isName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
            return false
        }
        return text.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    static func identifier(from text: String) -> String {
        var result = ""
        var previousWasLower = false
        for character in text {
            if character.isLetter || character.isNumber {
                if character.isUppercase && previousWasLower { result += "_" }
                result += character.lowercased()
                previousWasLower = character.isLowercase || character.isNumber
            } else if !result.isEmpty && !result.hasSuffix("_") {
                result += "_"
                previousWasLower = false
            }
        }
        while result.hasSuffix("_") { result.removeLast() }
        if result.isEmpty || result.first!.isNumber { result = "node_" + result }
        return result
    }

    // MARK: Scalars

    /// YAML 1.2 core-schema typing: only `true`/`false` are booleans, so "yes", "on" and dates stay strings.
    static let resolver: Yams.Resolver = {
        Yams.Resolver.basic
            .appending(try! .init(.bool, "^(?:true|True|TRUE|false|False|FALSE)$"))
            .appending(try! .init(.int, "^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"))
            .appending(try! .init(.float, "^(?:[-+]?(?:\\.[0-9]+|[0-9]+(?:\\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$"))
            .appending(try! .init(.null, "^(?:~|null|Null|NULL|)$"))
    }()

    /// How much larger than its text a YAML workflow may grow by repeating anchored values through aliases.
    static let aliasAllowance = 1 << 18

    static func json(_ scalar: Yams.Node.Scalar) -> JSONValue {
        let text = scalar.string
        switch tagName(of: scalar) {
        case .null: return .null
        case .bool: return .bool(text.lowercased() == "true")
        case .int:
            if text.hasPrefix("0x") { return Int(text.dropFirst(2), radix: 16).map(JSONValue.int) ?? .string(text) }
            if text.hasPrefix("0o") { return Int(text.dropFirst(2), radix: 8).map(JSONValue.int) ?? .string(text) }
            return Int(text).map(JSONValue.int) ?? UInt64(text).map(JSONValue.unsignedInt)
                ?? Double(text).map(JSONValue.double) ?? .string(text)
        case .float:
            switch text.lowercased() {
            case ".inf", "+.inf": return .double(.infinity)
            case "-.inf": return .double(-.infinity)
            case ".nan": return .double(.nan)
            default: return Double(text).map(JSONValue.double) ?? .string(text)
            }
        default: return .string(text)
        }
    }

    /// Plain scalars are typed by `resolver`; quoted and block scalars are strings; explicit tags are kept.
    static func tagName(of scalar: Yams.Node.Scalar) -> Tag.Name {
        switch scalar.tag.rawValue {
        case Tag.Name.implicit.rawValue:
            scalar.style == .plain || scalar.style == .any ? resolver.resolveTag(of: .scalar(scalar)) : .str
        case Tag.Name.nonSpecific.rawValue: .str
        default: Tag.Name(rawValue: scalar.tag.rawValue)
        }
    }

    static func node(_ value: JSONValue) -> Yams.Node {
        switch value {
        case .null: scalar("null")
        case .bool(let flag): scalar(flag ? "true" : "false")
        case .int(let number): scalar(String(number))
        case .unsignedInt(let number): scalar(String(number))
        case .double(let number):
            number.isNaN ? scalar(".nan") : number.isInfinite ? scalar(number > 0 ? ".inf" : "-.inf") : scalar(JSONValue.formatDouble(number))
        case .string(let text): string(text.hasPrefix("$") ? "$" + text : text)
        case .array(let items): .sequence(Yams.Node.Sequence(items.map(node), .implicit, .block))
        case .object(let object): .mapping(Yams.Node.Mapping(object.map { (string($0.key), node($0.value)) }))
        }
    }

    static func scalar(_ text: String) -> Yams.Node {
        .scalar(Yams.Node.Scalar(text, .implicit, .plain))
    }

    /// A string scalar, quoted where it would otherwise read back as another type.
    static func string(_ text: String) -> Yams.Node {
        let plain = Yams.Node.scalar(Yams.Node.Scalar(text, .implicit, .plain))
        if text.contains("\n") { return .scalar(Yams.Node.Scalar(text, .implicit, .literal)) }
        if resolver.resolveTag(of: plain) != .str || text.hasPrefix(" ") || text.hasSuffix(" ") {
            return .scalar(Yams.Node.Scalar(text, .implicit, .doubleQuoted))
        }
        return .scalar(Yams.Node.Scalar(text, .implicit, .any))
    }

    static func scalarText(_ node: Yams.Node) -> String? {
        if case .scalar(let scalar) = node { scalar.string } else { nil }
    }

    static func place(_ node: Yams.Node) -> String {
        node.mark.map { "line \($0.line): " } ?? ""
    }
}
