import ArgumentParser
import Foundation
import Loom

struct ConvertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a workflow between API JSON, UI JSON and YAML (a PNG's embedded workflow too).")

    @Argument(help: "The workflow to convert.")
    var input: String

    @Option(name: [.short, .long], help: "Where to write; the format follows its extension unless --to is given. Default: standard output.")
    var output: String?

    @Option(help: "The format to write: api, ui or yaml.")
    var to: String?

    func run() async throws {
        let format = try targetFormat()
        let engine = LoomEngine()
        let document = try loadDocument(input, engine: engine)
        let converter = UIWorkflowConverter(registry: engine.registry)
        let text: String
        switch format {
        case .api: text = document.prompt.json.jsonText() + "\n"
        case .ui:
            // A UI document keeps its layout; anything else is laid out anew.
            let workflow = document.format == .ui ? document.uiWorkflow! : converter.uiWorkflow(from: document.prompt)
            text = workflow.jsonText() + "\n"
        case .yaml: text = YAMLWorkflowFormat(registry: engine.registry).yaml(from: document.prompt)
        case .png: throw usageFailure("PNG is read, not written, by convert; SaveImage embeds workflows in images")
        }
        if let output {
            try Data(text.utf8).write(to: URL(fileURLWithPath: output))
        } else {
            print(text, terminator: "")
        }
    }

    private func targetFormat() throws -> WorkflowDocument.Format {
        if let to {
            guard let format = WorkflowDocument.Format(rawValue: to.lowercased()) else {
                throw usageFailure("unknown format '\(to)': use api, ui or yaml")
            }
            return format
        }
        switch output.map({ URL(fileURLWithPath: $0).pathExtension.lowercased() }) {
        case "yaml", "yml": return .yaml
        case "json": throw usageFailure("a .json output can be API or UI format: say which with --to api or --to ui")
        case nil: throw usageFailure("say which format to write with --to api, ui or yaml")
        default: throw usageFailure("cannot tell the format from '\(output!)': use --to api, ui or yaml")
        }
    }
}
