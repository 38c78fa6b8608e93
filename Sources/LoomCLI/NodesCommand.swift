import ArgumentParser
import Foundation
import Loom

struct NodesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nodes", abstract: "List the node library: names, inputs and outputs.")

    @Argument(help: "Only these node classes.")
    var names: [String] = []

    @Flag(help: "Print ComfyUI's /object_info JSON.")
    var json = false

    func run() async throws {
        let engine = LoomEngine()
        let catalog = engine.resources.get((any FileCatalog).self)
        let schemas = try engine.registry.schemas.filter { names.isEmpty || names.contains($0.name) }
            .withUnknownNamesChecked(names)
        if json {
            let info = JSONObject(schemas.map { ($0.name, $0.objectInfo(files: catalog)) })
            print(JSONValue.object(info).jsonText())
            return
        }
        for schema in schemas {
            print("\(schema.name)\(schema.displayName != schema.name ? " (\(schema.displayName))" : "")  [\(schema.category)]\(schema.isOutputNode ? "  output" : "")")
            for input in schema.inputs where input.section != .hidden {
                let optional = input.section == .optional ? "?" : ""
                let defaultValue = input.kind.defaultValue.map { " = \($0.jsonText(indent: nil))" } ?? ""
                print("    \(input.name)\(optional): \(describe(input.kind, catalog: catalog))\(defaultValue)")
            }
            for output in schema.outputs {
                print("    → \(output.name): \(output.type)\(output.isList ? " (list)" : "")")
            }
        }
    }

    private func describe(_ kind: InputKind, catalog: (any FileCatalog)?) -> String {
        switch kind {
        case .int(let options): "INT" + bounds(options.min.map(\.description), options.max.map(\.description))
        case .float(let options): "FLOAT" + bounds(options.min.map { "\($0)" }, options.max.map { "\($0)" })
        case .combo(let options):
            switch options.choices {
            case .fixed(let choices): choices.count > 8 ? "one of \(choices.count) choices" : choices.joined(separator: " | ")
            case .files(let folder): "a file in '\(folder)'"
            }
        default: kind.typeName
        }
    }

    private func bounds(_ min: String?, _ max: String?) -> String {
        min == nil && max == nil ? "" : " [\(min ?? "")..\(max ?? "")]"
    }
}

extension Array where Element == NodeSchema {
    fileprivate func withUnknownNamesChecked(_ names: [String]) throws -> [NodeSchema] {
        let unknown = names.filter { name in !contains { $0.name == name } }
        guard unknown.isEmpty else { throw ValidationError("no such node: \(unknown.joined(separator: ", "))") }
        return self
    }
}
