import LoomGraph
import LoomModelFiles

/// What loader nodes are fingerprinted by: the contents of the model files their widgets name (size,
/// modification time and a digest of the header and tail), so a file replaced under the same name
/// re-runs the loader, and everything cached downstream of it (on disk too) is recomputed.
enum ModelFileFingerprint {
    /// `inputs` pairs a widget with the model folder it names a file of. A file that cannot be found
    /// fingerprints as its name; running the node then reports it.
    static func of(_ inputs: NodeInputs, _ widgets: [(input: String, folder: String)], resources: Resources) -> Fingerprint {
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
