import Foundation
import Loom
import LoomImaging

/// `loom-fuzz`: feeds mutated copies of a corpus to Loom's readers (workflow JSON, UI JSON and YAML with
/// validation; safetensors, GGUF, PyTorch and ONNX files; PNG, JPEG and WebP images) for a bounded time, in process.
/// Every input must be read or refused with an error; a crash, a hang past `--input-seconds` or unbounded memory
/// (the Makefile runs this under `ulimit -v`) is a finding. The input being read is kept in `<artifacts>/current`
/// (its kind in `current.kind`) so that the one a crash leaves behind can be replayed with `--replay`.
///
///     loom-fuzz [--seconds 60] [--corpus Tests/Fixtures/fuzz/corpus.txt] [--artifacts .build/fuzz] [--seed N]
///     loom-fuzz --replay FILE KIND
struct FuzzOptions {
    var seconds = 60.0
    var inputSeconds = 10.0
    var corpus = "Tests/Fixtures/fuzz/corpus.txt"
    var artifacts = ".build/fuzz"
    var seed = UInt64(Date().timeIntervalSince1970)
    var replay: (path: String, kind: String)?

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw FuzzError("\(flag) needs a value") }
            switch flag {
            case "--seconds": seconds = try Self.number(value, flag)
            case "--input-seconds": inputSeconds = try Self.number(value, flag)
            case "--corpus": corpus = value
            case "--artifacts": artifacts = value
            case "--seed": seed = UInt64(value) ?? seed
            case "--replay":
                guard let kind = rest.popFirst() else { throw FuzzError("--replay needs a file and a kind") }
                replay = (value, kind)
            default: throw FuzzError("unknown option \(flag)")
            }
        }
    }

    static func number(_ text: String, _ flag: String) throws -> Double {
        guard let value = Double(text), value.isFinite, value > 0 else { throw FuzzError("\(flag) takes a positive number") }
        return value
    }
}

struct FuzzError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One corpus file and the reader it feeds, named by the file's kind (its extension, or `workflow.yaml`...).
struct Seed {
    var kind: String
    var bytes: [UInt8]
}

/// The readers under test; each throws for inputs it refuses, which is a pass.
enum Target {
    static let engine = LoomEngine()

    static func run(_ bytes: [UInt8], kind: String, scratch: URL) throws {
        switch kind {
        case "json", "yaml":
            let document = try engine.loader.load(bytes, fileExtension: kind)
            _ = try engine.validate(document)
            _ = YAMLWorkflowFormat(registry: engine.registry).yaml(from: document.prompt)
            _ = UIWorkflowConverter(registry: engine.registry).uiWorkflow(from: document.prompt).jsonText()
        case "safetensors", "gguf", "pth", "ckpt":
            let file = scratch.appendingPathExtension(kind)
            try Data(bytes).write(to: file)
            let model = try ModelFile.open(path: file.path)
            // Reading a few values exercises the byte ranges the header promised.
            for tensor in model.tensors.prefix(4) where tensor.elementCount <= 1 << 16 { _ = tensor.floats() }
        case "onnx":
            let file = scratch.appendingPathExtension(kind)
            try Data(bytes).write(to: file)
            let model = try ONNXModel.open(path: file.path)
            _ = model.operatorCounts
            for tensor in model.weights.tensors.prefix(4) where tensor.elementCount <= 1 << 16 { _ = tensor.floats() }
        case "png", "jpg", "webp":
            let file = scratch.appendingPathExtension(kind)
            try Data(bytes).write(to: file)
            _ = try ImageFile.readFrames(at: file.path, maximumPixels: 1 << 24, maximumTotalPixels: 1 << 25)
            if kind == "png" { _ = try RasterImage.textChunks(ofPNG: bytes) }
        default:
            throw FuzzError("no reader for kind '\(kind)'")
        }
    }
}

/// Byte-level and, for text, token-level mutations; splicing takes pieces of another seed of the same kind.
struct Mutator {
    var random: SplitMix
    static let tokens = [
        "[", "]", "{", "}", "\"", ",", ":", "-", "1e300", "-1e300", "18446744073709551616", "9223372036854775808",
        "NaN", "Infinity", "null", "0", "-1", "*a", "&a ", "\n  ", "$", "\\u0000", "1.5", "true",
    ]

    mutating func mutate(_ seed: Seed, other: Seed) -> [UInt8] {
        var bytes = seed.bytes
        for _ in 0..<Int(random.next() % 4 + 1) {
            let position = bytes.isEmpty ? 0 : Int(random.next() % UInt64(bytes.count))
            switch random.next() % 7 {
            case 0 where !bytes.isEmpty: bytes[position] ^= UInt8(1 << (random.next() % 8))
            case 1 where !bytes.isEmpty: bytes[position] = [0, 0xFF, 0x7F, 0x80, 0x01][Int(random.next() % 5)]
            case 2 where bytes.count > position + 8:
                let value = [UInt64.max, UInt64(Int64.max), 1 << 31, 1 << 40, 0][Int(random.next() % 5)]
                withUnsafeBytes(of: random.next() % 2 == 0 ? value.littleEndian : value.bigEndian) {
                    bytes.replaceSubrange(position..<(position + 8), with: $0)
                }
            case 3: bytes.removeSubrange(position..<min(bytes.count, position + Int(random.next() % 64)))
            case 4 where !other.bytes.isEmpty:
                let start = Int(random.next() % UInt64(other.bytes.count))
                let piece = other.bytes[start..<min(other.bytes.count, start + Int(random.next() % 256))]
                bytes.insert(contentsOf: piece, at: position)
            case 5:
                let token = Self.tokens[Int(random.next() % UInt64(Self.tokens.count))]
                bytes.insert(contentsOf: Array(token.utf8), at: position)
            default:
                if !bytes.isEmpty { bytes = Array(bytes.prefix(position)) }
            }
        }
        return bytes
    }
}

/// A small, fast, seedable generator, so a run can be repeated.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func loadCorpus(_ manifest: String) throws -> [Seed] {
    let base = URL(fileURLWithPath: manifest).absoluteURL.deletingLastPathComponent()
    let text = try String(contentsOfFile: manifest, encoding: .utf8)
    return try text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        .map { line in
            let path = base.appendingPathComponent(line.trimmingCharacters(in: .whitespaces)).standardized
            let kind = path.pathExtension.lowercased()
            return Seed(kind: kind == "yml" ? "yaml" : kind == "jpeg" ? "jpg" : kind, bytes: Array(try Data(contentsOf: path)))
        }
}

/// Ends the process when one input takes longer than allowed: a hang is a finding.
final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var started: Date?
    private var label = ""

    func begin(_ label: String) { lock.withLock { started = Date(); self.label = label } }
    func end() { lock.withLock { started = nil } }

    func start(limit: Double) {
        Thread.detachNewThread {
            while true {
                Thread.sleep(forTimeInterval: 0.25)
                let (since, label) = self.lock.withLock { (self.started, self.label) }
                if let since, Date().timeIntervalSince(since) > limit {
                    FileHandle.standardError.write(Data("HANG: \(label) took more than \(limit) s\n".utf8))
                    exit(3)
                }
            }
        }
    }
}

func fuzz(_ options: FuzzOptions) throws -> Int32 {
    let artifacts = URL(fileURLWithPath: options.artifacts)
    try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
    let scratch = artifacts.appendingPathComponent("scratch")
    if let replay = options.replay {
        do {
            try Target.run(Array(try Data(contentsOf: URL(fileURLWithPath: replay.path))), kind: replay.kind, scratch: scratch)
            print("read without error")
        } catch {
            print("refused: \(String(describing: error).prefix(300))")
        }
        return 0
    }
    let corpus = try loadCorpus(options.corpus)
    guard !corpus.isEmpty else { throw FuzzError("the corpus is empty") }
    var mutator = Mutator(random: SplitMix(state: options.seed))
    let watchdog = Watchdog()
    watchdog.start(limit: options.inputSeconds)
    var executions: [String: (runs: Int, refused: Int)] = [:]
    let deadline = Date().addingTimeInterval(options.seconds)
    print("fuzzing \(corpus.count) seeds for \(options.seconds) s (seed \(options.seed))")
    while Date() < deadline {
        let seed = corpus[Int(mutator.random.next() % UInt64(corpus.count))]
        let sameKind = corpus.filter { $0.kind == seed.kind }
        let input = mutator.mutate(seed, other: sameKind[Int(mutator.random.next() % UInt64(sameKind.count))])
        // Kept on disk before it runs: after a crash, this is the input that caused it.
        try Data(input).write(to: artifacts.appendingPathComponent("current"))
        try Data(seed.kind.utf8).write(to: artifacts.appendingPathComponent("current.kind"))
        watchdog.begin(seed.kind)
        var refused = false
        do { try Target.run(input, kind: seed.kind, scratch: scratch) } catch { refused = true }
        watchdog.end()
        executions[seed.kind, default: (0, 0)].runs += 1
        if refused { executions[seed.kind, default: (0, 0)].refused += 1 }
    }
    for (kind, count) in executions.sorted(by: { $0.key < $1.key }) {
        print("  \(kind): \(count.runs) inputs, \(count.refused) refused with an error, 0 crashes")
    }
    print("\(executions.values.map(\.runs).reduce(0, +)) executions, no crash or hang")
    try? FileManager.default.removeItem(at: artifacts.appendingPathComponent("scratch"))
    return 0
}

do {
    exit(try fuzz(FuzzOptions(Array(CommandLine.arguments.dropFirst()))))
} catch {
    FileHandle.standardError.write(Data("loom-fuzz: \(error)\n".utf8))
    exit(2)
}
