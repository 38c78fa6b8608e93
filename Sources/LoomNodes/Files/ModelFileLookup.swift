import LoomGraph
import LoomModelFiles

/// How loader nodes find the model files their widgets name, and what they are fingerprinted by.
enum ModelFileLookup {
    /// The configured model folders; without any, an error naming the node's input and the file.
    static func directories(_ resources: Resources, for name: String, input: String, node: String) throws -> ModelDirectories {
        guard let directories = resources.get(FolderPaths.self)?.models as? ModelDirectories else {
            throw NodeError(node, "\(input): no model folders are configured, so '\(name)' cannot be found")
        }
        return directories
    }

    /// The contents of the files the widgets name (size, modification time and a digest of the header and
    /// tail), so a file replaced under the same name re-runs the loader, and everything cached downstream of
    /// it (on disk too) is recomputed. `widgets` pairs an input with the model folder it names a file of. A
    /// file that cannot be found fingerprints as its name; running the node then reports it.
    static func fingerprint(_ inputs: NodeInputs, _ widgets: [(input: String, folder: String)], resources: Resources) -> Fingerprint {
        let directories = resources.get(FolderPaths.self)?.models as? ModelDirectories
        let parts = widgets.map { widget -> String in
            guard let name = inputs.values[widget.input] as? String else { return "-" }
            guard let path = try? directories?.path(of: name, in: widget.folder),
                  let fingerprint = try? FileFingerprint(path: path) else { return "missing:\(name)" }
            return fingerprint.description
        }
        return .value(parts.joined(separator: "|"))
    }
}
