import ArgumentParser
import Foundation
import Loom

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check a workflow without running it.")

    @Argument(help: "A workflow: API JSON, UI JSON, YAML, or a PNG with an embedded workflow.")
    var workflow: String

    @Flag(help: "Print the result in the shape of ComfyUI's POST /prompt answer.")
    var json = false

    @OptionGroup var engineOptions: EngineOptions

    func run() async throws {
        let engine = try engineOptions.makeEngine()
        let document = try loadDocument(workflow, engine: engine)
        do {
            let validated = try engine.validate(document)
            let errors = JSONObject(validated.nodeErrors.map { ($0.key, $0.value.json) })
            if json {
                print(JSONValue.object(["outputs": .array(validated.outputs.map(JSONValue.string)), "node_errors": .object(errors)]).jsonText())
            } else {
                print("valid: \(validated.outputs.count) output node(s) will run: \(validated.outputs.joined(separator: ", "))")
                if !validated.nodeErrors.isEmpty {
                    print("some outputs will not run:")
                    NodeValidationErrors.lines(describing: validated.nodeErrors).forEach { print($0) }
                }
            }
        } catch {
            if json { print(error.json.jsonText()) } else { printError("invalid: \(error)") }
            throw ExitCode(ExitStatus.invalidWorkflow)
        }
    }
}
