import LoomGraph
import LoomModelFiles
import LoomModels

/// How the diffusion-model loaders find a file and load the network of whichever family it holds.
enum DiffusionModelFiles {
    /// A file of `folder` (through the configured model folders), opened, recognised and loaded. All-in-one
    /// checkpoints carry the network under `model.diffusion_model.`; ComfyUI's UNETLoader accepts those too.
    static func load(_ name: String, folder: String, input: String, node: String, resources: Resources,
                     linearWeightConversion: LinearWeightConversion? = nil,
                     check: (ModelFile) throws -> Void = { _ in }) throws -> DiffusionModel {
        let directories = try ModelFileLookup.directories(resources, for: name, input: input, node: node)
        let file: ModelFile
        do { file = try ModelFile.open(path: directories.path(of: name, in: folder)) } catch {
            throw NodeError(node, "\(input): \(error)")
        }
        try check(file)
        let detected = ArchitectureDetector.detect(file)
        guard let (family, model) = ModelFamily.diffusionModel(in: detected) else {
            throw NodeError(node, "\(input): \(name) is not a diffusion model Loom can run (looked for "
                            + "\(ModelFamily.detectionSummary); found \(found(detected)))")
        }
        return try load(model, of: family, from: file, node: node, input: input, resources: resources,
                        linearWeightConversion: linearWeightConversion)
    }

    static func load(_ model: DetectedModel, of family: ModelFamily, from file: ModelFile, node: String, input: String,
                     resources: Resources, linearWeightConversion: LinearWeightConversion? = nil) throws -> DiffusionModel {
        do {
            var loaded = DiffusionModel(try family.load(model, from: file, context: try resources.computeDevice.context(),
                                                        linearWeightConversion: linearWeightConversion))
            loaded.source = DiffusionModelSource(file: file, model: model, linearWeightConversion: linearWeightConversion, patches: [:])
            return loaded
        } catch let error as NodeError {
            throw error
        } catch {
            throw NodeError(node, "\(input): \(error)")
        }
    }

    /// The detected models of a file, for messages.
    static func found(_ detected: [DetectedModel]) -> String {
        detected.isEmpty ? "no known model" : detected.map { "\($0.architecture)" + ($0.prefix.isEmpty ? "" : " under '\($0.prefix)'") }
            .joined(separator: "; ")
    }
}
