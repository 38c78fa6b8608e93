import Testing
@testable import LoomGraph

/// ComfyUI's partial-execution behaviours: only targeted outputs run, with whatever they depend on.
@Suite struct PartialExecutionTests {
    let registry: NodeRegistry = {
        var registry = testRegistry
        registry.register(TestOutputPassthrough.self)
        return registry
    }()

    var prompt: Prompt {
        Prompt(nodes: [
            node("1", "TestIntSource", [("value", literal(1))]),
            node("2", "TestOutputPassthrough", [("value", link("1"))]),
            node("3", "TestAdd", [("a", link("2")), ("offset", literal(1))]),
            node("4", "TestOutput", [("value", link("3"))]),
            node("5", "TestIntSource", [("value", literal(9))]),
            node("6", "TestOutput", [("value", link("5"))]),
            node("7", "TestIntSource", [("value", literal(3))]),
            node("8", "TestLazySwitch", [("switch", literal(true)), ("on_false", link("5")), ("on_true", link("7"))]),
            node("9", "TestOutput", [("value", link("8"))]),
        ])
    }

    func run(targets: [String]) async throws -> ExecutionOutcome {
        let validated = try Validator(registry: registry).validate(prompt, targets: targets)
        return await Executor(registry: registry).run(validated)
    }

    @Test func includedOutputsRunAndExcludedOnesDoNot() async throws {
        let outcome = try await run(targets: ["6"])
        #expect(Set(outcome.outputs.keys) == ["6"])
        #expect(Set(outcome.executedNodes) == ["5", "6"])
    }

    @Test func anUntargetedOutputUpstreamOfATargetStillRuns() async throws {
        let outcome = try await run(targets: ["4"])
        #expect(outcome.executedNodes.contains("2"))
        #expect(outcome.outputs["2"]?["values"] == ["1"])
        #expect(outcome.outputs["4"]?["values"] == ["2"])
        #expect(outcome.outputs["6"] == nil)
    }

    @Test func lazyNodesInsideTargets() async throws {
        let outcome = try await run(targets: ["9"])
        #expect(outcome.outputs["9"]?["values"] == ["3"])
        #expect(!outcome.executedNodes.contains("5"), "the lazy branch not taken never runs")
    }

    @Test func targetsThatAreNotOutputsAreIgnoredAndAnEmptyListIsAnError() throws {
        #expect(throws: PromptValidationError.self) { try Validator(registry: registry).validate(prompt, targets: ["3"]) }
        #expect(throws: PromptValidationError.self) { try Validator(registry: registry).validate(prompt, targets: []) }
    }
}
