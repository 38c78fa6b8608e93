import Foundation
import Loom
import Synchronization

/// Named gates that tests open to let `TestGate` nodes finish, so a test controls exactly when a prompt runs.
enum Gates {
    private static let opened = Mutex<Set<String>>([])

    static func open(_ name: String) { opened.withLock { _ = $0.insert(name) } }
    static func isOpen(_ name: String) -> Bool { opened.withLock { $0.contains(name) } }
}

struct GateNeverOpened: Error, CustomStringConvertible {
    var gate: String
    var description: String { "gate '\(gate)' was not opened within \(TestGate.patience) seconds" }
}

/// An output node that waits until its gate opens (or the prompt is interrupted), then shows the gate's name.
struct TestGate: Node {
    static let schema = NodeSchema(
        name: "TestGate", category: "test", inputs: [.string("gate"), .link("after", "*", section: .optional)],
        outputs: [OutputSpec("STRING")], isOutputNode: true)
    static var isIdempotent: Bool { false }
    /// Long enough for a test on a machine loaded by parallel suites (a full run has taken minutes), short
    /// enough that a test that forgets its gate still ends.
    static let patience = 300

    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let gate = try inputs("gate", as: String.self)
        let deadline = ContinuousClock.now + .seconds(Self.patience)
        while !Gates.isOpen(gate) {
            try context.checkInterrupted()
            guard ContinuousClock.now < deadline else { throw GateNeverOpened(gate: gate) }
            try await Task.sleep(for: .milliseconds(10))
        }
        return NodeResult([gate], ui: ["text": [.string(gate)]])
    }
}

struct DeliberateFailure: Error, CustomStringConvertible {
    var description: String { "deliberate failure" }
}

/// An output node that always fails.
struct TestFail: Node {
    static let schema = NodeSchema(
        name: "TestFail", category: "test", inputs: [.link("value", "*")], isOutputNode: true)

    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        throw DeliberateFailure()
    }
}

/// An output node that shows two 2×1 progress pictures, as a sampler shows its steps.
struct TestPreview: Node {
    static let schema = NodeSchema(
        name: "TestPreview", category: "test", inputs: [.int("seed")], outputs: [OutputSpec("INT")], isOutputNode: true)

    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        for step in 1...2 {
            try context.reportProgress(Double(step), of: 2)
            context.reportPreview(ProgressPreview(width: 2, height: 1, rgb: [UInt8(step), 0, 0, 0, 0, 255]))
        }
        return NodeResult([try inputs("seed", as: Int.self)], ui: ["text": ["done"]])
    }
}

extension NodeRegistry {
    /// Loom's node library plus the test nodes.
    static var serverTests: NodeRegistry {
        var registry = NodeLibrary.registry
        registry.register(TestGate.self)
        registry.register(TestFail.self)
        registry.register(TestPreview.self)
        return registry
    }
}
