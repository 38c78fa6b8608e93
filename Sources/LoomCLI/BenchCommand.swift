import ArgumentParser
import Foundation
import Loom

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure Loom's own overheads.",
        subcommands: [Scheduler.self, BenchOpsCommand.self, Images.self, BenchFluxCommand.self, BenchUNetCommand.self, BenchTextCommand.self, BenchVAECommand.self, BenchPoseCommand.self,
                      BenchControlNetCommand.self, BenchVisionCommand.self, BenchLoRACommand.self])

    struct Scheduler: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Scheduler overhead on synthetic graphs of cheap nodes: validation and execution, cold and cached.")

        @Option(help: "Graph sizes to measure.")
        var sizes: [Int] = [1_000, 10_000]

        @Option(help: "Repetitions of each measurement; the best is reported.")
        var repetitions = 3

        func run() async throws {
            print("nodes    validate µs/node   cold run µs/node   cached run µs/node   edited run µs/node")
            for size in sizes {
                var best = [Double](repeating: .infinity, count: 4)
                for _ in 0..<repetitions {
                    let figures = try await measure(size: size)
                    best = zip(best, figures).map { min($0, $1) }
                }
                print(String(format: "%6d   %16.2f   %16.2f   %18.2f   %18.2f", size, best[0], best[1], best[2], best[3]))
            }
        }

        /// Validation, a cold run, an identical re-run, and a re-run after editing the last node's widget.
        func measure(size: Int) async throws -> [Double] {
            let registry = NodeRegistry([BenchAdd.self, PreviewAny.self])
            let engine = LoomEngine(registry: registry, cache: MemoryOutputCache(policy: .unbounded))
            let prompt = BenchAdd.graph(size: size, lastOffset: 0)
            let edited = BenchAdd.graph(size: size, lastOffset: 1)
            let clock = ContinuousClock()
            let validation = try clock.measure { _ = try engine.validate(WorkflowDocument(prompt: prompt, format: .api)) }
            let cold = try await clock.measure { try await expectSuccess(engine.run(WorkflowDocument(prompt: prompt, format: .api))) }
            let cached = try await clock.measure { try await expectSuccess(engine.run(WorkflowDocument(prompt: prompt, format: .api))) }
            let rerun = try await clock.measure { try await expectSuccess(engine.run(WorkflowDocument(prompt: edited, format: .api))) }
            return [validation, cold, cached, rerun].map { $0.microseconds / Double(size) }
        }

        func expectSuccess(_ outcome: ExecutionOutcome) throws {
            guard outcome.succeeded else { throw ValidationError("benchmark graph failed: \(outcome.status)") }
        }
    }
}

extension Duration {
    var microseconds: Double { Double(components.seconds) * 1e6 + Double(components.attoseconds) / 1e12 }
}

/// Adds two integers: a node cheap enough that only the scheduler's own work is measured.
struct BenchAdd: Node {
    static let schema = NodeSchema(
        name: "BenchAdd", category: "benchmark",
        inputs: [.link("a", "INT", section: .optional), .link("b", "INT", section: .optional), .int("offset", default: 0)],
        outputs: [OutputSpec("INT")])

    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let a = try inputs.optional("a", as: Int.self) ?? 0
        let b = try inputs.optional("b", as: Int.self) ?? 0
        return NodeResult([(a &+ b &+ (try inputs("offset", as: Int.self))) % 1_000_003])
    }

    /// A chain where each node also reads a pseudo-random earlier one, ending in one output.
    static func graph(size: Int, lastOffset: Int) -> Prompt {
        var prompt = Prompt()
        var random = SystemRandomNumberGenerator.Seeded(seed: 42)
        for index in 0..<size {
            var inputs: [(name: String, value: PromptInput)] = [("offset", .literal(.int(index == size - 1 ? lastOffset : index % 7)))]
            if index > 0 {
                inputs.append(("a", .link(NodeLink(node: String(index - 1), output: 0))))
                inputs.append(("b", .link(NodeLink(node: String(Int(random.next() % UInt64(index))), output: 0))))
            }
            prompt.insert(PromptNode(id: String(index), classType: "BenchAdd", inputs: inputs))
        }
        prompt.insert(PromptNode(id: "out", classType: "PreviewAny", inputs: [("source", .link(NodeLink(node: String(size - 1), output: 0)))]))
        return prompt
    }
}

extension SystemRandomNumberGenerator {
    /// A small deterministic generator (SplitMix64), so every run measures the same graph.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
