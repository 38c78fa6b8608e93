import ArgumentParser
import Foundation
import LoomVulkan

/// The transformer width and heads the synthetic benchmarks (`bench ops`, `bench flux --synthetic`) work at: Flux
/// dev's by default, smaller for a CPU device.
struct TransformerShapeOptions: ParsableArguments {
    @Option(help: "Hidden width (Flux dev: 3072).")
    var width = 3072

    @Option(help: "Attention heads (Flux dev: 24, so heads of 128).")
    var heads = 24

    /// Width per head; Flux's rotary axes (an eighth, then two equal halves of the rest) need a multiple of 32.
    var headDimension: Int { width / heads }

    func validate() throws {
        guard width > 0, heads > 0, width % heads == 0, headDimension % 32 == 0 else {
            throw ValidationError("--width must split into --heads heads of a multiple of 32 (Flux dev: 3072 and 24)")
        }
    }

    /// Flux's rotary axes for one head: time, then the latent's rows and columns.
    var rotaryAxes: [Int] {
        let first = headDimension / 8
        return [first, (headDimension - first) / 2, (headDimension - first) / 2]
    }
}

/// How a benchmark reports: the table people read, or one JSON document for scripts (the table then goes to
/// standard error as it is measured, so a run cut short still shows how far it got).
struct BenchReportOptions: ParsableArguments {
    @Flag(help: "Print one JSON document instead of the table (which then goes to standard error).")
    var json = false

    /// One line of the table.
    func line(_ text: String) {
        if json { FileHandle.standardError.write(Data((text + "\n").utf8)) } else { print(text) }
    }

    func write<Report: Encodable>(_ report: Report) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }
}

extension DType: ExpressibleByArgument {}
