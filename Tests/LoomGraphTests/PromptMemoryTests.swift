import Testing
@testable import LoomGraph

/// Floats in a buffer of their own, as images and latents hold them.
struct Floats: MemoryFootprint, Sendable {
    var values: [Float]
    var memoryFootprint: Int { values.count * 4 }
    var memoryBuffers: [MemoryBuffer]? { [MemoryBuffer(values)] }
}

/// Makes `count` floats (4 bytes each).
struct TestFloats: Node {
    static let schema = NodeSchema(
        name: "TestFloats", category: "test", inputs: [.int("count", default: 1000, min: 0, max: 1 << 30)],
        outputs: [OutputSpec("FLOATS")])
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([Floats(values: [Float](repeating: 1, count: try inputs("count", as: Int.self)))])
    }
}

/// Returns its input as it is, as a node that changes nothing does.
struct TestPassFloats: Node {
    static let schema = NodeSchema(
        name: "TestPassFloats", category: "test", inputs: [.link("floats", "FLOATS")], outputs: [OutputSpec("FLOATS", name: "same")])
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([try inputs("floats", as: Floats.self)])
    }
}

/// The host memory a prompt's outputs hold is limited per prompt: the node whose output passes the limit fails
/// with a message naming it, its output and the limit, and the next prompt starts from nothing.
@Suite struct PromptMemoryTests {
    let registry: NodeRegistry = {
        var registry = cacheRegistry
        for type: any Node.Type in [TestFloats.self, TestPassFloats.self] { registry.register(type) }
        return registry
    }()

    func executor(limit: Int) -> Executor {
        let resources = Resources()
        var limits = ResourceLimits.standard
        limits.bytesPerPrompt = limit
        resources.set(limits)
        // No cache: every prompt computes (and holds) its outputs itself.
        return Executor(registry: registry, resources: resources, cache: MemoryOutputCache(policy: .none))
    }

    func run(_ prompt: Prompt, on executor: Executor) async throws -> ExecutionOutcome {
        await executor.run(try Validator(registry: registry).validate(prompt))
    }

    /// Two outputs of `first` and `second` floats, both shown.
    func twoBuffers(_ first: Int, _ second: Int) -> Prompt {
        Prompt(nodes: [
            node("a", "TestFloats", [("count", literal(.int(first)))]),
            node("b", "TestFloats", [("count", literal(.int(second)))]),
            node("show_a", "TestOutput", [("value", link("a"))]),
            node("show_b", "TestOutput", [("value", link("b"))]),
        ])
    }

    @Test func theOutputThatPassesTheLimitFailsItsNode() async throws {
        let executor = executor(limit: 10_000)
        let outcome = try await run(twoBuffers(1_500, 1_500), on: executor)
        guard case .failed(let failure) = outcome.status else {
            Issue.record("12,000 bytes ran within a 10,000-byte limit")
            return
        }
        #expect(["a", "b"].contains(failure.nodeID))
        #expect(failure.nodeType == "TestFloats")
        #expect(failure.exceptionMessage.contains("node \(failure.nodeID) (TestFloats): its FLOATS output"), "\(failure.exceptionMessage)")
        #expect(failure.exceptionMessage.contains("per prompt (--max-prompt-memory-mb)"))

        // What the failed prompt held is not counted against the next one, nor against a second run of itself.
        #expect(try await run(twoBuffers(1_000, 1_000), on: executor).succeeded)
        #expect(try await run(twoBuffers(1_000, 1_000), on: executor).succeeded)
    }

    @Test func aBufferPassedOnUnchangedCountsOnce() async throws {
        let chain = Prompt(nodes: [
            node("1", "TestFloats", [("count", literal(2_000))]),
            node("2", "TestPassFloats", [("floats", link("1"))]),
            node("3", "TestPassFloats", [("floats", link("2"))]),
            node("4", "TestPassFloats", [("floats", link("3"))]),
            node("5", "TestOutput", [("value", link("4"))]),
        ])
        #expect(try await run(chain, on: executor(limit: 10_000)).succeeded, "8,000 bytes, held once")
    }

    @Test func accountingIsPerBuffer() {
        let memory = PromptMemory(limit: 100)
        let shared = Floats(values: [1, 2, 3])
        #expect(memory.hold([shared, shared] as [NodeValue]) == 12)
        #expect(memory.hold([Floats(values: [1, 2, 3])] as [NodeValue]) == 12, "an equal array in another buffer counts again")
        #expect(memory.hold([Blob(bytes: 30), 5, "text"] as [NodeValue]) == 30, "a value without buffers counts its footprint; plain values nothing")
        #expect(memory.heldBytes == 54)
    }
}
