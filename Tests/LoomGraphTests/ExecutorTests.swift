import Synchronization
import Testing
@testable import LoomGraph

/// Collects events from a run.
final class EventLog: Sendable {
    private let events = Mutex<[ExecutionEvent]>([])
    var all: [ExecutionEvent] { events.withLock { $0 } }
    func record(_ event: ExecutionEvent) { events.withLock { $0.append(event) } }
    var types: [String] { all.map(\.messageType) }
}

@Suite struct ExecutorTests {
    func run(
        _ prompt: Prompt, on executor: Executor, log: EventLog = EventLog(), targets: [String]? = nil
    ) async throws -> ExecutionOutcome {
        let validated = try Validator(registry: testRegistry).validate(prompt, targets: targets)
        return await executor.run(validated, promptID: "p", events: { log.record($0) })
    }

    func chain(offset: Int) -> Prompt {
        Prompt(nodes: [
            node("1", "TestIntSource", [("value", literal(2))]),
            node("2", "TestAdd", [("a", link("1")), ("b", link("1")), ("offset", literal(.int(offset)))]),
            node("3", "TestOutput", [("value", link("2"))]),
        ])
    }

    @Test func runsOutputsAndReportsUI() async throws {
        let log = EventLog()
        let outcome = try await run(chain(offset: 1), on: Executor(registry: testRegistry), log: log)
        #expect(outcome.succeeded)
        #expect(outcome.outputs["3"]?["values"] == ["5"])
        #expect(outcome.executedNodes == ["1", "2", "3"])
        // Each node's progress starts before it is announced and finishes after its output, as in ComfyUI.
        #expect(log.types == [
            "execution_start", "execution_cached", "progress_state", "executing", "progress_state",
            "progress_state", "executing", "progress_state", "progress_state", "executing", "executed", "progress_state",
            "execution_success", "executing",
        ])
        guard case .progressState(_, let nodes) = log.all[11] else { Issue.record("no final progress_state"); return }
        #expect(nodes.map(\.node) == ["1", "2", "3"] && nodes.allSatisfy { $0.state == .finished && $0.value == $0.max })
    }

    @Test func secondIdenticalRunExecutesNothing() async throws {
        let executor = Executor(registry: testRegistry)
        _ = try await run(chain(offset: 1), on: executor)
        let log = EventLog()
        let second = try await run(chain(offset: 1), on: executor, log: log)
        #expect(second.executedNodes.isEmpty)
        #expect(second.outputs["3"]?["values"] == ["5"], "cached output nodes still report their UI")
        guard case .cached(_, let nodes) = log.all[1] else { Issue.record("no execution_cached event"); return }
        #expect(nodes == ["1", "2", "3"])
    }

    @Test func changingOneLiteralRerunsOnlyDescendants() async throws {
        let executor = Executor(registry: testRegistry)
        _ = try await run(chain(offset: 1), on: executor)
        let second = try await run(chain(offset: 10), on: executor)
        #expect(second.executedNodes == ["2", "3"])
        #expect(second.outputs["3"]?["values"] == ["14"])
    }

    @Test func cacheKeysIgnoreNodeIDs() async throws {
        let executor = Executor(registry: testRegistry)
        _ = try await run(chain(offset: 1), on: executor)
        let renamed = Prompt(nodes: [
            node("a", "TestIntSource", [("value", literal(2))]),
            node("b", "TestAdd", [("a", link("a")), ("b", link("a")), ("offset", literal(1))]),
            node("c", "TestOutput", [("value", link("b"))]),
        ])
        #expect(try await run(renamed, on: executor).executedNodes.isEmpty)
    }

    @Test func noCachePolicyRerunsEverything() async throws {
        let executor = Executor(registry: testRegistry, cache: MemoryOutputCache(policy: .none))
        _ = try await run(chain(offset: 1), on: executor)
        #expect(try await run(chain(offset: 1), on: executor).executedNodes == ["1", "2", "3"])
    }

    @Test func alwaysChangedFingerprintReruns() async throws {
        let executor = Executor(registry: testRegistry)
        let prompt = Prompt(nodes: [
            node("1", "TestVolatile", [("value", literal(4))]), node("2", "TestOutput", [("value", link("1"))]),
        ])
        _ = try await run(prompt, on: executor)
        #expect(try await run(prompt, on: executor).executedNodes == ["1", "2"])
    }

    @Test func lazyInputSkipsUnneededBranch() async throws {
        let prompt = Prompt(nodes: [
            node("1", "TestIntSource", [("value", literal(1))]),
            node("2", "TestIntSource", [("value", literal(2))]),
            node("3", "TestLazySwitch", [("switch", literal(true)), ("on_false", link("1")), ("on_true", link("2"))]),
            node("4", "TestOutput", [("value", link("3"))]),
        ])
        let outcome = try await run(prompt, on: Executor(registry: testRegistry))
        #expect(outcome.outputs["4"]?["values"] == ["2"])
        #expect(!outcome.executedNodes.contains("1"))
        #expect(outcome.executedNodes.contains("2"))
    }

    @Test func invalidBranchOfALazySwitchOnlyMattersWhenChosen() async throws {
        func prompt(choosing chosen: Bool) -> Prompt {
            Prompt(nodes: [
                node("1", "TestIntSource", [("value", literal(5000))]),
                node("2", "TestIntSource", [("value", literal(2))]),
                node("3", "TestLazySwitch", [("switch", literal(.bool(chosen))), ("on_true", link("1")), ("on_false", link("2"))]),
                node("4", "TestOutput", [("value", link("3"))]),
            ])
        }
        let executor = Executor(registry: testRegistry)
        let skipped = try await run(prompt(choosing: false), on: executor)
        #expect(skipped.outputs["4"]?["values"] == ["2"])
        #expect(!skipped.executedNodes.contains("1"))

        let chosen = try await run(prompt(choosing: true), on: executor)
        guard case .failed(let failure) = chosen.status else { Issue.record("expected a failure"); return }
        #expect(failure.nodeID == "3")
        #expect(failure.exceptionType == "execution.LazyInputValidationError")
        #expect(failure.exceptionMessage.contains("'on_true'"))
        #expect(failure.exceptionMessage.contains("value_bigger_than_max") || failure.exceptionMessage.contains("1000"))
        #expect(!chosen.executedNodes.contains("1"))
    }

    @Test func lazyRequestForARunningNodeWaitsForIt() async throws {
        TestSlowCount.runs.withLock { $0 = 0 }
        let prompt = Prompt(nodes: [
            node("1", "TestSlowCount", [("value", literal(7))]),
            node("2", "TestOutput", [("value", link("1"))]),
            node("3", "TestIntSource", [("value", literal(1))]),
            node("4", "TestLazySwitch", [("switch", literal(true)), ("on_true", link("1")), ("on_false", link("3"))]),
            node("5", "TestOutput", [("value", link("4"))]),
        ])
        let outcome = try await run(prompt, on: Executor(registry: testRegistry))
        #expect(outcome.outputs["5"]?["values"] == ["7"])
        #expect(outcome.outputs["2"]?["values"] == ["7"])
        #expect(TestSlowCount.runs.withLock { $0 } == 1)
    }

    @Test func runtimeErrorNamesTheNode() async throws {
        let log = EventLog()
        let prompt = Prompt(nodes: [
            node("1", "TestIntSource", [("value", literal(1))]),
            node("2", "TestFail", [("value", link("1"))]),
            node("3", "TestOutput", [("value", link("2"))]),
        ])
        let executor = Executor(registry: testRegistry)
        let outcome = try await run(prompt, on: executor, log: log)
        guard case .failed(let failure) = outcome.status else { Issue.record("expected failure"); return }
        #expect(failure.nodeID == "2")
        #expect(failure.nodeType == "TestFail")
        #expect(failure.exceptionMessage == "deliberate failure")
        #expect(failure.exceptionType == "TestFailure")
        #expect(failure.executed == ["1"])
        #expect(log.types.contains("execution_error"))
        #expect(!log.types.contains("execution_success"))
        // The engine keeps working after a failure.
        #expect(try await run(chain(offset: 0), on: executor).succeeded)
    }

    @Test func listOutputsMapOverConsumers() async throws {
        let prompt = Prompt(nodes: [
            node("1", "TestIntList", [("count", literal(3))]),
            node("2", "TestIntSource", [("value", literal(10))]),
            node("3", "TestAdd", [("a", link("1")), ("b", link("2"))]),
            node("4", "TestSumList", [("values", link("3"))]),
            node("5", "TestOutput", [("value", link("4"))]),
            node("6", "TestOutput", [("value", link("3"))]),
        ])
        let outcome = try await run(prompt, on: Executor(registry: testRegistry))
        #expect(outcome.outputs["5"]?["values"] == ["33"])
        #expect(outcome.outputs["6"]?["values"] == ["10", "11", "12"])
    }

    @Test func interruptStopsBeforeTheNextNode() async throws {
        let interruption = Interruption()
        interruption.request()
        let validated = try Validator(registry: testRegistry).validate(chain(offset: 0))
        let outcome = await Executor(registry: testRegistry).run(validated, interruption: interruption)
        guard case .interrupted = outcome.status else { Issue.record("expected an interruption"); return }
        #expect(outcome.executedNodes.isEmpty)
    }

    @Test func deepChainExecutes() async throws {
        var nodes = [node("0", "TestIntSource", [("value", literal(0))])]
        for index in 1...2000 {
            nodes.append(node(String(index), "TestAdd", [("a", link(String(index - 1))), ("offset", literal(1))]))
        }
        nodes.append(node("out", "TestOutput", [("value", link("2000"))]))
        let outcome = try await run(Prompt(nodes: nodes), on: Executor(registry: testRegistry))
        #expect(outcome.outputs["out"]?["values"] == ["2000"])
    }
}

@Suite struct PassThroughAndFingerprintTests {
    let registry: NodeRegistry = {
        var registry = testRegistry
        registry.register(TestSumAll.self)
        return registry
    }()

    func run(_ prompt: Prompt, on executor: Executor) async throws -> ExecutionOutcome {
        await executor.run(try Validator(registry: registry).validate(prompt))
    }

    @Test func undeclaredInputsReachTheNode() async throws {
        let prompt = Prompt(nodes: [
            node("1", "TestIntSource", [("value", literal(5))]),
            node("2", "TestSumAll", [("base", literal(1)), ("extra_literal", literal(10)), ("extra_link", link("1"))]),
            node("3", "TestOutput", [("value", link("2"))]),
        ])
        #expect(try await run(prompt, on: Executor(registry: registry)).outputs["3"]?["values"] == ["16"])
    }

    @Test func clientSuppliedIsChangedDecidesReuse() async throws {
        func prompt(_ isChanged: JSONValue) -> Prompt {
            var source = node("1", "TestIntSource", [("value", literal(5))])
            source.isChanged = isChanged
            return Prompt(nodes: [source, node("2", "TestOutput", [("value", link("1"))])])
        }
        let executor = Executor(registry: registry)
        _ = try await run(prompt(false), on: executor)
        #expect(try await run(prompt(false), on: executor).executedNodes.isEmpty, "an unchanged fingerprint is a hit")
        #expect(try await run(prompt(true), on: executor).executedNodes == ["1", "2"], "a new fingerprint re-runs")
        _ = try await run(prompt(.double(.nan)), on: executor)
        #expect(try await run(prompt(.double(.nan)), on: executor).executedNodes == ["1", "2"], "NaN always re-runs")
    }
}
