import Foundation
import Testing
@testable import LoomGraph

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("loom-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite struct CacheTests {
    func run(_ prompt: Prompt, on executor: Executor) async throws -> ExecutionOutcome {
        let validated = try Validator(registry: cacheRegistry).validate(prompt)
        return await executor.run(validated)
    }

    func workflow(_ value: Int, offset: Int = 0) -> Prompt {
        Prompt(nodes: [
            node("1", "TestIntSource", [("value", literal(.int(value)))]),
            node("2", "TestAdd", [("a", link("1")), ("offset", literal(.int(offset)))]),
            node("3", "TestOutput", [("value", link("2"))]),
        ])
    }

    @Test func switchingWorkflowsKeepsBothWithinTheBudget() async throws {
        let executor = Executor(registry: cacheRegistry, cache: MemoryOutputCache(policy: .memoryBudget(bytes: 1 << 20)))
        _ = try await run(workflow(1), on: executor)
        _ = try await run(workflow(2), on: executor)
        #expect(try await run(workflow(1), on: executor).executedNodes.isEmpty)
        #expect(try await run(workflow(2), on: executor).executedNodes.isEmpty)
    }

    @Test func budgetEvictsLargeOldOutputsFirst() {
        let cache = MemoryOutputCache(policy: .memoryBudget(bytes: 10_000))
        func signature(_ byte: UInt8) -> Signature { Signature(digest: [byte]) }
        cache.store(NodeOutput(slots: [[Blob(bytes: 6_000)]]), for: signature(1), persistent: false)
        cache.store(NodeOutput(slots: [[Blob(bytes: 1_000)]]), for: signature(2), persistent: false)
        cache.store(NodeOutput(slots: [[Blob(bytes: 1_000)]]), for: signature(3), persistent: false)
        _ = cache.output(for: signature(2))
        cache.store(NodeOutput(slots: [[Blob(bytes: 4_000)]]), for: signature(4), persistent: false)
        #expect(!cache.contains(signature(1)), "the big, old output goes first")
        #expect(cache.contains(signature(2)) && cache.contains(signature(3)) && cache.contains(signature(4)))
        #expect(cache.statistics.bytes == 6_000)
        #expect(cache.statistics.evictions == 1)
    }

    @Test func leastRecentlyUsedKeepsCount() {
        let cache = MemoryOutputCache(policy: .leastRecentlyUsed(count: 2))
        for byte: UInt8 in 1...3 { cache.store(NodeOutput(slots: [[Int(byte)]]), for: Signature(digest: [byte]), persistent: false) }
        #expect(cache.statistics.entries == 2)
        #expect(!cache.contains(Signature(digest: [1])))
    }

    @Test func newProcessReusesTheDiskCache() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func freshProcess() -> Executor {
            Executor(registry: cacheRegistry, cache: LayeredOutputCache(
                memory: MemoryOutputCache(policy: .unbounded), disk: DiskOutputStore(directory: directory)))
        }
        _ = try await run(workflow(5, offset: 1), on: freshProcess())
        let second = try await run(workflow(5, offset: 1), on: freshProcess())
        // The output node runs again (its side effect belongs to each run); everything else comes from disk.
        #expect(second.executedNodes == ["3"])
        #expect(second.outputs["3"]?["values"] == ["6"])
        let edited = try await run(workflow(5, offset: 2), on: freshProcess())
        #expect(edited.executedNodes == ["2", "3"])
    }

    @Test func corruptOrTruncatedEntriesAreRecomputed() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = DiskOutputStore(directory: directory)
        let executor = { Executor(registry: cacheRegistry, cache: LayeredOutputCache(memory: MemoryOutputCache(policy: .none), disk: store)) }
        _ = try await run(workflow(7), on: executor())
        let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "loomcache" }
        #expect(files.count == 2)
        var damaged = try Data(contentsOf: files[0])
        damaged[damaged.count / 2] ^= 0xFF
        try damaged.write(to: files[0])
        try Data(contentsOf: files[1]).prefix(20).write(to: files[1])
        let outcome = try await run(workflow(7), on: executor())
        #expect(outcome.executedNodes == ["1", "2", "3"])
        #expect(outcome.outputs["3"]?["values"] == ["7"])
        // Recomputed entries replace the damaged ones.
        #expect(try await run(workflow(7), on: executor()).executedNodes == ["3"])
    }

    @Test func changedInputFileInvalidates() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("input.txt")
        try "first".write(to: file, atomically: true, encoding: .utf8)
        let prompt = Prompt(nodes: [
            node("1", "TestReadFile", [("path", literal(.string(file.path)))]),
            node("2", "TestOutput", [("value", link("1"))]),
        ])
        let cache = LayeredOutputCache(memory: MemoryOutputCache(), disk: DiskOutputStore(directory: directory.appendingPathComponent("cache")))
        let executor = Executor(registry: cacheRegistry, cache: cache)
        #expect(try await run(prompt, on: executor).outputs["2"]?["values"] == ["first"])
        try "second".write(to: file, atomically: true, encoding: .utf8)
        let outcome = try await run(prompt, on: executor)
        #expect(outcome.executedNodes == ["1", "2"])
        #expect(outcome.outputs["2"]?["values"] == ["second"])
    }

    @Test func volatileAndUnencodableOutputsStayOffDisk() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = DiskOutputStore(directory: directory)
        let prompt = Prompt(nodes: [
            node("1", "TestVolatile", [("value", literal(3))]),
            node("2", "TestAdd", [("a", link("1"))]),
            node("3", "TestOutput", [("value", link("2"))]),
            node("4", "TestBlob", [("bytes", literal(10))]),
            node("5", "TestOutput", [("value", link("4"))]),
        ])
        _ = try await run(prompt, on: Executor(registry: cacheRegistry, cache: LayeredOutputCache(memory: MemoryOutputCache(), disk: store)))
        #expect(store.statistics.entries == 0)
    }

    @Test func diskStoreStaysWithinItsLimit() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = DiskOutputStore(directory: directory, byteLimit: 4_000)
        for index in 0..<40 {
            store.save(NodeOutput(slots: [[String(repeating: "x", count: 300)]]), for: Signature(digest: [UInt8(index)]))
        }
        #expect(store.statistics.bytes <= 4_000)
        #expect(store.statistics.entries > 0)
        #expect(store.load(Signature(digest: [39])) != nil, "the newest entry survives")
        try store.clear()
        #expect(store.statistics.entries == 0)
    }
}

/// ComfyUI's execution behaviours, asserted under every cache policy: where the policy keeps nothing,
/// cache-hit expectations invert.
@Suite struct CachePolicyAcceptanceTests {
    static let policies: [CachePolicy] = [.none, .leastRecentlyUsed(count: 100), .memoryBudget(bytes: 1 << 20), .unbounded]

    func run(_ prompt: Prompt, on executor: Executor, log: EventLog = EventLog()) async throws -> ExecutionOutcome {
        let validated = try Validator(registry: cacheRegistry).validate(prompt)
        return await executor.run(validated, events: { log.record($0) })
    }

    func chain(_ offset: Int) -> Prompt {
        Prompt(nodes: [
            node("1", "TestIntSource", [("value", literal(2))]),
            node("2", "TestAdd", [("a", link("1")), ("offset", literal(.int(offset)))]),
            node("3", "TestOutput", [("value", link("2"))]),
            node("4", "TestOutput", [("value", link("2"))]),
        ])
    }

    @Test(arguments: policies)
    func fullAndPartialCache(policy: CachePolicy) async throws {
        let executor = Executor(registry: cacheRegistry, cache: MemoryOutputCache(policy: policy))
        let first = try await run(chain(1), on: executor)
        #expect(first.outputs["3"]?["values"] == ["3"] && first.outputs["4"]?["values"] == ["3"], "one source feeds both outputs")
        let same = try await run(chain(1), on: executor)
        let edited = try await run(chain(5), on: executor)
        #expect(edited.outputs["3"]?["values"] == ["7"])
        if policy == .none {
            #expect(same.executedNodes.count == 4)
            #expect(edited.executedNodes.count == 4)
        } else {
            #expect(same.executedNodes.isEmpty)
            #expect(Set(edited.executedNodes) == ["2", "3", "4"])
        }
    }

    @Test(arguments: policies)
    func lazyBranchAndErrorsBehaveAlike(policy: CachePolicy) async throws {
        let executor = Executor(registry: cacheRegistry, cache: MemoryOutputCache(policy: policy))
        let lazy = Prompt(nodes: [
            node("1", "TestIntSource", [("value", literal(1))]),
            node("2", "TestFail", [("value", link("1"))]),
            node("3", "TestLazySwitch", [("switch", literal(false)), ("on_false", link("1")), ("on_true", link("2"))]),
            node("4", "TestOutput", [("value", link("3"))]),
        ])
        let outcome = try await run(lazy, on: executor)
        #expect(outcome.succeeded, "the failing branch is never evaluated")
        #expect(outcome.outputs["4"]?["values"] == ["1"])
        var failing = lazy
        failing["3"] = node("3", "TestLazySwitch", [("switch", literal(true)), ("on_false", link("1")), ("on_true", link("2"))])
        let failed = try await run(failing, on: executor)
        guard case .failed(let failure) = failed.status else { Issue.record("expected the failing branch to fail"); return }
        #expect(failure.nodeID == "2")
        #expect(try await run(chain(0), on: executor).succeeded, "the engine keeps working after an error")
    }

    @Test(arguments: policies)
    func listsExpansionAndBlockers(policy: CachePolicy) async throws {
        let executor = Executor(registry: cacheRegistry, cache: MemoryOutputCache(policy: policy))
        let prompt = Prompt(nodes: [
            node("1", "TestIntList", [("count", literal(4))]),
            node("2", "TestBlockEven", [("value", link("1"))]),
            node("3", "TestExpandChain", [("a", link("2")), ("count", literal(1))]),
            node("4", "TestOutput", [("value", link("3"))]),
        ])
        let outcome = try await run(prompt, on: executor)
        #expect(outcome.outputs["4"]?["values"] == ["2", "4"])
    }
}
