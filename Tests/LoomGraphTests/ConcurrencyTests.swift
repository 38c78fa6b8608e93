import Testing
@testable import LoomGraph

@Suite struct ConcurrencyTests {
    let registry: NodeRegistry = {
        var registry = testRegistry
        registry.register(TestConcurrentMeet.self)
        registry.register(TestExclusiveMeet.self)
        return registry
    }()

    func meetings(_ classType: String, timeout: Int) async throws -> ExecutionOutcome {
        let resources = Resources()
        resources.set(Rendezvous())
        let prompt = Prompt(nodes: [
            node("a", classType, [("name", literal("a")), ("partner", literal("b")), ("timeout_ms", literal(.int(timeout)))]),
            node("b", classType, [("name", literal("b")), ("partner", literal("a")), ("timeout_ms", literal(.int(timeout)))]),
            node("out_a", "TestOutput", [("value", link("a"))]),
            node("out_b", "TestOutput", [("value", link("b"))]),
        ])
        let validated = try Validator(registry: registry).validate(prompt)
        return await Executor(registry: registry, resources: resources).run(validated)
    }

    @Test func independentCPUBranchesRunAtTheSameTime() async throws {
        let outcome = try await meetings("TestConcurrentMeet", timeout: 5000)
        #expect(outcome.outputs["out_a"]?["values"] == ["true"])
        #expect(outcome.outputs["out_b"]?["values"] == ["true"])
    }

    @Test func exclusiveNodesNeverOverlap() async throws {
        let outcome = try await meetings("TestExclusiveMeet", timeout: 200)
        // The first to run waits alone; the second finds it has been and gone.
        let results = [outcome.outputs["out_a"]?["values"], outcome.outputs["out_b"]?["values"]]
        #expect(results.contains(["false"]))
    }
}
