import Foundation
import Synchronization
import LoomGraph

/// Small nodes for exercising the graph engine without models.
struct TestIntSource: Node {
    static let schema = NodeSchema(
        name: "TestIntSource", category: "test", inputs: [.int("value", default: 0, min: -1000, max: 1000)],
        outputs: [OutputSpec("INT")])
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try inputs("value", as: Int.self)])
    }
}

/// ComfyUI's seed widget (0...2⁶⁴−1); outputs the seed as the node receives it.
struct TestSeed: Node {
    static let schema = NodeSchema(name: "TestSeed", category: "test", inputs: [.seed("seed")], outputs: [OutputSpec("INT")])
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try inputs("seed", as: Int.self)])
    }
}

struct TestAdd: Node {
    static let schema = NodeSchema(
        name: "TestAdd", category: "test",
        inputs: [.link("a", "INT"), .link("b", "INT", section: .optional), .int("offset", default: 0, section: .optional)],
        outputs: [OutputSpec("INT", name: "sum")])
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let a = try inputs("a", as: Int.self)
        let b = try inputs.optional("b", as: Int.self) ?? 0
        let offset = try inputs.optional("offset", as: Int.self) ?? 0
        return NodeResult([a + b + offset])
    }
}

struct TestOutput: Node {
    static let schema = NodeSchema(
        name: "TestOutput", category: "test", inputs: [.link("value", "*")], isOutputNode: true)
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let value = try inputs("value", as: NodeValue.self)
        return .ui(["values": [.string(String(describing: value))]])
    }
}

/// Picks one of two lazily evaluated inputs.
struct TestLazySwitch: Node {
    static let schema = NodeSchema(
        name: "TestLazySwitch", category: "test",
        inputs: [.boolean("switch"), .link("on_false", "*", isLazy: true), .link("on_true", "*", isLazy: true)],
        outputs: [OutputSpec("*")])
    func neededLazyInputs(_ inputs: NodeInputs, context: NodeContext) async throws -> [String] {
        let name = try inputs("switch", as: Bool.self) ? "on_true" : "on_false"
        return inputs.has(name) ? [] : [name]
    }
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try inputs(try inputs("switch", as: Bool.self) ? "on_true" : "on_false", as: NodeValue.self)])
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String { "deliberate failure" }
}

struct TestFail: Node {
    static let schema = NodeSchema(
        name: "TestFail", category: "test", inputs: [.link("value", "*")], outputs: [OutputSpec("INT")])
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        throw TestFailure()
    }
}

/// ComfyUI's multi-type test node: accepts images or floats, and rejects other literals itself.
struct TestCustomValidation: Node {
    static let schema = NodeSchema(
        name: "TestCustomValidation1", category: "test",
        inputs: [.link("input1", "IMAGE,FLOAT"), .link("input2", "IMAGE,FLOAT")], outputs: [OutputSpec("IMAGE")])
    static var checkedInputs: Set<String> { ["input1", "input2"] }
    static func validate(_ inputs: NodeInputs, resources: Resources) -> String? {
        for name in ["input1", "input2"] {
            if let value = inputs.values[name], !(value is Double) {
                return "Invalid type of \(name): \(type(of: value))"
            }
        }
        return nil
    }
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try inputs("input1", as: Double.self) * inputs("input2", as: Double.self)])
    }
}

/// Emits a list output, so consumers run once per element.
struct TestIntList: Node {
    static let schema = NodeSchema(
        name: "TestIntList", category: "test", inputs: [.int("count", default: 3, min: 0, max: 100)],
        outputs: [OutputSpec("INT", isList: true)])
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([Array(0..<(try inputs("count", as: Int.self))) as [NodeValue]])
    }
}

/// Sums a whole list at once.
struct TestSumList: Node {
    static let schema = NodeSchema(
        name: "TestSumList", category: "test", inputs: [.link("values", "INT")], outputs: [OutputSpec("INT")],
        takesInputsAsLists: true)
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try inputs.list("values", of: Int.self).reduce(0, +)])
    }
}

/// Never served from cache.
struct TestVolatile: Node {
    static let schema = NodeSchema(
        name: "TestVolatile", category: "test", inputs: [.int("value", default: 1)], outputs: [OutputSpec("INT")])
    static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint { .alwaysChanged }
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try inputs("value", as: Int.self)])
    }
}

/// Counts its runs and takes a while, alongside other nodes, so a lazy request can reach it mid-run.
struct TestSlowCount: Node {
    static let runs = Mutex(0)
    static let schema = NodeSchema(
        name: "TestSlowCount", category: "test", inputs: [.int("value", default: 0)], outputs: [OutputSpec("INT")])
    static var runsConcurrently: Bool { true }
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        Self.runs.withLock { $0 += 1 }
        try await Task.sleep(for: .milliseconds(200))
        return NodeResult([try inputs("value", as: Int.self)])
    }
}

let testRegistry = NodeRegistry([
    TestIntSource.self, TestAdd.self, TestOutput.self, TestLazySwitch.self, TestFail.self,
    TestCustomValidation.self, TestIntList.self, TestSumList.self, TestVolatile.self, TestSeed.self,
    TestSlowCount.self,
])

/// Builds API-format prompts in tests.
func node(_ id: String, _ classType: String, _ inputs: [(String, PromptInput)] = []) -> PromptNode {
    PromptNode(id: id, classType: classType, inputs: inputs.map { (name: $0.0, value: $0.1) })
}

func link(_ id: String, _ slot: Int = 0) -> PromptInput { .link(NodeLink(node: id, output: slot)) }

func literal(_ value: JSONValue) -> PromptInput { .literal(value) }

/// Expands into a chain of `count` adders, each adding one.
struct TestExpandChain: Node {
    static let schema = NodeSchema(
        name: "TestExpandChain", category: "test", inputs: [.link("a", "INT"), .int("count", default: 2, min: 0, max: 50)],
        outputs: [OutputSpec("INT")])
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let count = try inputs("count", as: Int.self)
        let start = try inputs("a", as: Int.self)
        guard count > 0 else { return NodeResult([start]) }
        var nodes = [PromptNode(id: "0", classType: "TestIntSource", inputs: [(name: "value", value: .literal(.int(start)))])]
        for index in 1...count {
            nodes.append(PromptNode(
                id: String(index), classType: "TestAdd",
                inputs: [(name: "a", value: .link(NodeLink(node: String(index - 1), output: 0))), (name: "offset", value: .literal(1))]))
        }
        return .expand(GraphExpansion(nodes: nodes, outputs: [.link(NodeLink(node: String(count), output: 0))]))
    }
}

/// Expands into a node that reads the expanding node itself: a loop only visible at run time.
struct TestExpandCycle: Node {
    static let schema = NodeSchema(
        name: "TestExpandCycle", category: "test", inputs: [.int("value", default: 1), .hidden("id", .uniqueID)],
        outputs: [OutputSpec("INT")])
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let me = try inputs("id", as: String.self)
        let node = PromptNode(id: "loop", classType: "TestAdd", inputs: [(name: "a", value: .link(NodeLink(node: me, output: 0)))])
        return .expand(GraphExpansion(nodes: [node], outputs: [.link(NodeLink(node: "loop", output: 0))]))
    }
}

/// Blocks even numbers, silently or with a message.
struct TestBlockEven: Node {
    static let schema = NodeSchema(
        name: "TestBlockEven", category: "test", inputs: [.link("value", "INT"), .string("message", section: .optional)],
        outputs: [OutputSpec("INT")])
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let value = try inputs("value", as: Int.self)
        guard value % 2 != 0 else {
            let message = try inputs.optional("message", as: String.self)
            return NodeResult([ExecutionBlocker(message: message?.isEmpty == false ? message : nil)])
        }
        return NodeResult([value])
    }
}

let expansionRegistry: NodeRegistry = {
    var registry = testRegistry
    for type: any Node.Type in [TestExpandChain.self, TestExpandCycle.self, TestBlockEven.self] { registry.register(type) }
    return registry
}()

/// Reads a text file; its fingerprint is the file's content, as LoadImage's is the image's hash.
struct TestReadFile: Node {
    static let schema = NodeSchema(name: "TestReadFile", category: "test", inputs: [.string("path")], outputs: [OutputSpec("STRING")])
    static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint {
        .value(try String(contentsOfFile: try inputs("path", as: String.self), encoding: .utf8))
    }
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try String(contentsOfFile: try inputs("path", as: String.self), encoding: .utf8)])
    }
}

/// An output of a chosen size, for memory-budget tests.
struct Blob: MemoryFootprint, Sendable {
    var bytes: Int
    var memoryFootprint: Int { bytes }
}

struct TestBlob: Node {
    static let schema = NodeSchema(
        name: "TestBlob", category: "test", inputs: [.int("bytes", default: 1000, min: 0, max: 1 << 40)], outputs: [OutputSpec("BLOB")])
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([Blob(bytes: try inputs("bytes", as: Int.self))])
    }
}

let cacheRegistry: NodeRegistry = {
    var registry = expansionRegistry
    for type: any Node.Type in [TestReadFile.self, TestBlob.self] { registry.register(type) }
    return registry
}()

/// Where two nodes wait for each other: they meet only if they run at the same time.
actor Rendezvous {
    private var arrived: Set<String> = []

    /// Whether `partner` turned up within `timeout` of this arrival.
    func meet(_ name: String, partner: String, timeout: Duration) async -> Bool {
        arrived.insert(name)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if arrived.contains(partner) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return arrived.contains(partner)
    }
}

/// Meets its partner at the `Rendezvous` in the resources; CPU-only, so it may run beside others.
struct TestConcurrentMeet: Node {
    static let schema = NodeSchema(
        name: "TestConcurrentMeet", category: "test",
        inputs: [.string("name"), .string("partner"), .int("timeout_ms", default: 2000)], outputs: [OutputSpec("BOOLEAN")])
    static var runsConcurrently: Bool { true }
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let met = await context.resources.get(Rendezvous.self)!.meet(
            try inputs("name"), partner: try inputs("partner"), timeout: .milliseconds(try inputs("timeout_ms", as: Int.self)))
        return NodeResult([met])
    }
}

/// The same, but declared exclusive: it must never overlap another exclusive node.
struct TestExclusiveMeet: Node {
    static let schema = NodeSchema(
        name: "TestExclusiveMeet", category: "test",
        inputs: [.string("name"), .string("partner"), .int("timeout_ms", default: 2000)], outputs: [OutputSpec("BOOLEAN")])
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        try await TestConcurrentMeet().execute(inputs, context: context)
    }
}

/// An output node that also passes its value on, so other nodes can depend on an output.
struct TestOutputPassthrough: Node {
    static let schema = NodeSchema(
        name: "TestOutputPassthrough", category: "test", inputs: [.link("value", "*")], outputs: [OutputSpec("*")],
        isOutputNode: true)
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let value = try inputs("value", as: NodeValue.self)
        return NodeResult([value], ui: ["values": [.string(String(describing: value))]])
    }
}

/// Sums every integer input it receives, declared or not (a variadic node).
struct TestSumAll: Node {
    static let schema = NodeSchema(
        name: "TestSumAll", category: "test", inputs: [.int("base", default: 0)], outputs: [OutputSpec("INT")])
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([inputs.values.values.compactMap { $0 as? Int }.reduce(0, +)])
    }
}
