import Crypto
import Foundation

/// A node's cache key: a digest of its class, fingerprint and literal inputs plus the signatures of the nodes
/// it reads from. It never includes node ids (except for non-idempotent nodes), so an identical sub-graph
/// under other ids, or in another workflow, finds the same outputs.
public struct Signature: Sendable, Hashable, CustomStringConvertible {
    public let digest: [UInt8]

    public init(digest: [UInt8]) { self.digest = digest }

    public var description: String {
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(digest.count * 2)
        for byte in digest {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

struct SignatureBuilder {
    let prompt: Prompt
    let registry: NodeRegistry
    let resources: Resources

    struct Result {
        var signatures: [String: Signature] = [:]
        /// Nodes whose outputs may differ between processes under the same signature — always-changed
        /// fingerprints, non-idempotent nodes, and everything downstream of them — so they stay off disk.
        var volatile: Set<String> = []
    }

    /// Signatures of `roots` and everything they read from, computed in dependency order without recursion.
    /// A fingerprint that cannot be computed, or that says "always changed", makes the node and its
    /// descendants miss the cache.
    func signatures(for roots: [String]) -> Result {
        var output = Result()
        var visiting: Set<String> = []
        var stack: [(id: String, expanded: Bool)] = roots.reversed().map { ($0, false) }
        while let (id, expanded) = stack.popLast() {
            if output.signatures[id] != nil { continue }
            guard let node = prompt[id] else { continue }
            if !expanded {
                guard visiting.insert(id).inserted else { continue }
                stack.append((id, true))
                for (_, link) in node.links where output.signatures[link.node] == nil && !visiting.contains(link.node) {
                    stack.append((link.node, false))
                }
                continue
            }
            visiting.remove(id)
            let (signature, volatile) = signature(of: node, upstream: output.signatures)
            output.signatures[id] = signature
            if volatile || node.links.contains(where: { output.volatile.contains($0.link.node) }) {
                output.volatile.insert(id)
            }
        }
        return output
    }

    private func signature(of node: PromptNode, upstream: [String: Signature]) -> (Signature, volatile: Bool) {
        var hash = SHA256()
        func add(_ text: String) {
            hash.update(data: Array(text.utf8))
            hash.update(data: [0])
        }
        add(node.classType)
        let type = registry[node.classType]
        var volatile = false
        switch fingerprint(of: node, type: type) {
        case .constant: add("constant")
        case .value(let value): add("fingerprint"); add(value)
        case .alwaysChanged:
            add("always")
            add(UUID().uuidString)
            volatile = true
        }
        if let type, !type.isIdempotent {
            add("node")
            add(node.id)
            volatile = true
        }
        for (name, input) in node.inputs.sorted(by: { $0.name < $1.name }) {
            add(name)
            switch input {
            case .link(let link):
                add("link")
                if let source = upstream[link.node] { hash.update(data: source.digest) } else { add("missing:\(link.node)") }
                add(String(link.output))
            case .literal(let value):
                add("literal")
                add(value.jsonText(indent: nil))
            case .malformedLink(let value):
                add("malformed")
                add(value.jsonText(indent: nil))
            }
        }
        return (Signature(digest: Array(hash.finalize())), volatile)
    }

    private func fingerprint(of node: PromptNode, type: (any Node.Type)?) -> Fingerprint {
        if let supplied = node.isChanged {
            if case .double(let value) = supplied, value.isNaN { return .alwaysChanged }
            return .value(supplied.jsonText(indent: nil))
        }
        guard let type else { return .constant }
        let schema = type.schema
        var literals: [String: NodeValue] = [:]
        for (name, input) in node.inputs {
            guard case .literal(let value) = input else { continue }
            if case .success(let coerced) = LiteralCoercion.value(value, for: schema.input(named: name)?.kind) {
                literals[name] = coerced
            }
        }
        do {
            return try type.fingerprint(NodeInputs(literals, nodeID: node.id, classType: node.classType), resources: resources)
        } catch {
            return .alwaysChanged
        }
    }
}
