import ArgumentParser
import Foundation
import Loom
import LoomModels

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Validate and run a workflow, printing progress and outputs.")

    @Argument(help: "A workflow: API JSON, UI JSON, YAML, or a PNG with an embedded workflow.")
    var workflow: String

    @Option(name: .customLong("target"), help: "Run only this output node (repeatable), as partial_execution_targets.")
    var targets: [String] = []

    @Flag(help: "Print each event as a ComfyUI WebSocket message, one JSON object per line.")
    var jsonEvents = false

    @Flag(help: "After the run, print each executed node's time and the process's resident memory after it.")
    var timings = false

    @Option(help: "After the run, write each executed node's time and class as JSON to this file (for scripts/bench/workflow_vs_comfyui.py).")
    var timingsFile: String?

    @Flag(help: "Time every GPU dispatch and pipeline creation and print, after the run, the shader variants that took the most device time.")
    var profile = false

    @OptionGroup var engineOptions: EngineOptions

    func run() async throws {
        let engine = try engineOptions.makeEngine()
        // The terminal shows no pictures: sampling skips computing previews.
        engine.resources.set(PreviewMethod.none)
        var document = try loadDocument(workflow, engine: engine)
        if !targets.isEmpty { document.partialExecutionTargets = targets }
        let reporter = ProgressReporter(prompt: document.prompt, registry: engine.registry, json: jsonEvents)
        let timer = RunTimings()
        let profiled = profile ? try engine.resources.computeDevice.context().profile : nil
        profiled?.start()
        let started = Date()
        let outcome: ExecutionOutcome
        do {
            outcome = try await engine.run(document) { event in
                reporter.report(event)
                timer.record(event)
            }
        } catch {
            printError("error: the workflow is invalid\n\(error)")
            throw ExitCode(ExitStatus.invalidWorkflow)
        }
        let seconds = Date().timeIntervalSince(started)
        switch outcome.status {
        case .succeeded:
            if !jsonEvents {
                print(String(format: "done in %.2fs: %d executed, %d cached", seconds, outcome.executedNodes.count, outcome.cachedNodes.count))
            }
            if timings { printError(timer.table(describe: reporter.describe)) }
            if let profiled { printError(profileTable(profiled.stop(), limit: 16)) }
            if let timingsFile {
                let document = timer.json(seconds: seconds) { document.prompt[$0]?.classType ?? "" }
                try Data(document.jsonText().utf8).write(to: URL(fileURLWithPath: timingsFile))
            }
        case .failed(let failure):
            printError("error: \(failure)")
            throw ExitCode(ExitStatus.executionFailed)
        case .interrupted(let node):
            printError("interrupted" + (node.map { " before node \($0)" } ?? ""))
            throw ExitCode(ExitStatus.executionFailed)
        }
    }
}

/// Prints events for a person, or as JSON lines for a program.
final class ProgressReporter: Sendable {
    let prompt: Prompt
    let registry: NodeRegistry
    let json: Bool

    init(prompt: Prompt, registry: NodeRegistry, json: Bool) {
        self.prompt = prompt
        self.registry = registry
        self.json = json
    }

    func report(_ event: ExecutionEvent) {
        if case .preview = event { return }
        if json {
            let message: JSONValue = ["type": .string(event.messageType), "data": .object(event.messageData())]
            print(message.jsonText(indent: nil))
            return
        }
        switch event {
        case .cached(_, let nodes) where !nodes.isEmpty:
            print("cached: \(nodes.map(describe).joined(separator: ", "))")
        case .executing(_, let node?, _):
            print("running \(describe(node))")
        case .progress(_, _, let value, let max):
            print("  \(String(format: "%.0f", value))/\(String(format: "%.0f", max))")
        case .executed(_, let node, _, let output):
            print("  \(describe(node)) → \(summary(of: output))")
        case .failed(let failure) where failure.exceptionType == "ExecutionBlocked":
            print("  \(failure.exceptionMessage)")
        default:
            break
        }
    }

    func describe(_ id: String) -> String {
        guard let node = prompt[id] else { return id }
        if let title = node.title, title != node.classType { return "\(id) \"\(title)\" (\(node.classType))" }
        return "\(id) \(node.classType)"
    }

    private func summary(of output: JSONObject) -> String {
        if let images = output["images"]?.arrayValue {
            return images.compactMap { image -> String? in
                guard let name = image["filename"]?.stringValue else { return nil }
                let folder = image["subfolder"]?.stringValue ?? ""
                return "\(image["type"]?.stringValue ?? "output")/\(folder.isEmpty ? "" : folder + "/")\(name)"
            }.joined(separator: ", ")
        }
        if let text = output["text"]?.arrayValue {
            return text.compactMap(\.stringValue).joined(separator: " | ")
        }
        return JSONValue.object(output).jsonText(indent: nil)
    }
}
