import Testing
@testable import LoomGraph

@Suite struct ExpansionAndBlockerTests {
    func run(_ prompt: Prompt, on executor: Executor? = nil, log: EventLog = EventLog()) async throws -> ExecutionOutcome {
        let validated = try Validator(registry: expansionRegistry).validate(prompt)
        return await (executor ?? Executor(registry: expansionRegistry)).run(validated, events: { log.record($0) })
    }

    @Test func expansionRunsItsNodesAndProvidesTheOutputs() async throws {
        let prompt = Prompt(nodes: [
            node("1", "TestIntSource", [("value", literal(10))]),
            node("2", "TestExpandChain", [("a", link("1")), ("count", literal(3))]),
            node("3", "TestOutput", [("value", link("2"))]),
        ])
        let executor = Executor(registry: expansionRegistry)
        let outcome = try await run(prompt, on: executor)
        #expect(outcome.succeeded)
        #expect(outcome.outputs["3"]?["values"] == ["13"])
        #expect(outcome.executedNodes.contains("2.3"), "expanded nodes carry the expanding node's id as prefix")
        #expect(try await run(prompt, on: executor).executedNodes.isEmpty, "the expanded result is cached like any other")
    }

    @Test func cycleCreatedByExpansionIsReportedAtRunTime() async throws {
        let prompt = Prompt(nodes: [
            node("1", "TestExpandCycle", [("value", literal(1))]),
            node("2", "TestOutput", [("value", link("1"))]),
        ])
        let outcome = try await run(prompt)
        guard case .failed(let failure) = outcome.status else { Issue.record("expected a failure"); return }
        #expect(failure.nodeID == "1")
        #expect(failure.exceptionType == "graph.DependencyCycleError")
        #expect(failure.exceptionMessage.contains("Dependency cycle detected"))
    }

    @Test func blockerDropsOnlyTheBlockedListElements() async throws {
        let prompt = Prompt(nodes: [
            node("1", "TestIntList", [("count", literal(5))]),
            node("2", "TestBlockEven", [("value", link("1"))]),
            node("3", "TestAdd", [("a", link("2")), ("offset", literal(100))]),
            node("4", "TestOutput", [("value", link("3"))]),
        ])
        let outcome = try await run(prompt)
        #expect(outcome.succeeded)
        #expect(outcome.outputs["4"]?["values"] == ["101", "103"])
    }

    @Test func blockerWithMessageIsReportedAndExecutionContinues() async throws {
        let log = EventLog()
        let prompt = Prompt(nodes: [
            node("1", "TestIntSource", [("value", literal(2))]),
            node("2", "TestBlockEven", [("value", link("1")), ("message", literal("even numbers are not allowed"))]),
            node("3", "TestOutput", [("value", link("2"))]),
            node("4", "TestIntSource", [("value", literal(3))]),
            node("5", "TestOutput", [("value", link("4"))]),
        ])
        let outcome = try await run(prompt, log: log)
        #expect(outcome.succeeded)
        #expect(outcome.outputs["3"] == nil)
        #expect(outcome.outputs["5"]?["values"] == ["3"])
        let blocked = log.all.compactMap { event -> ExecutionFailure? in
            if case .failed(let failure) = event { failure } else { nil }
        }
        #expect(blocked.map(\.exceptionType) == ["ExecutionBlocked"])
        #expect(blocked.first?.exceptionMessage == "Execution Blocked: even numbers are not allowed")
        #expect(blocked.first?.nodeID == "3")
    }
}
