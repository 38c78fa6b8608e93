import CLoom
import Foundation
import Loom
import Synchronization

/// A workflow behind a `loom_workflow` handle, with the node library of the engine that loaded it.
final class WorkflowHandle: Sendable {
    static let table = HandleTable<WorkflowHandle>(kind: "loom_workflow")

    private let document: Mutex<WorkflowDocument>
    private let registry: NodeRegistry

    init(_ document: WorkflowDocument, registry: NodeRegistry) {
        self.document = Mutex(document)
        self.registry = registry
    }

    /// The workflow as it stands; a run works on this copy while the host may go on editing.
    var snapshot: WorkflowDocument { document.withLock { $0 } }

    func setInput(node id: String, input name: String, to value: JSONValue) throws(LoomFailure) {
        try document.withLock { (document: inout WorkflowDocument) throws(LoomFailure) in
            guard var node = document.prompt[id] else {
                throw LoomFailure(
                    LOOM_ERROR_NOT_FOUND,
                    "no node \(id) in the workflow; its nodes are \(document.prompt.ids.joined(separator: ", "))")
            }
            let declared = registry[node.classType]?.schema.inputs.map(\.name) ?? node.inputs.map(\.name)
            guard declared.contains(name) else {
                throw LoomFailure(
                    LOOM_ERROR_NOT_FOUND,
                    "node \(id) (\(node.classType)) has no input \(name); its inputs are \(declared.joined(separator: ", "))")
            }
            if case .link(let link) = node[input: name] {
                throw LoomFailure.invalidArgument(
                    "input \(name) of node \(id) (\(node.classType)) is fed by node \(link.node); set a value there")
            }
            node[input: name] = .literal(value)
            document.prompt[id] = node
        }
    }
}
