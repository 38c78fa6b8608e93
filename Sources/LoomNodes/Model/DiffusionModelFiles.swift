import LoomGraph
import LoomModelFiles
import LoomModels
import LoomSampling

/// How the diffusion-model loaders find, recognise and load transformer files.
enum DiffusionModelFiles {
    /// A file of `folder` (through the configured model folders), opened and recognised as Flux.
    static func openFlux(_ name: String, folder: String, input: String, node: String,
                         resources: Resources) throws -> (ModelFile, DetectedModel, FluxParameters) {
        let directories = try ModelFileLookup.directories(resources, for: name, input: input, node: node)
        let file = try ModelFile.open(path: directories.path(of: name, in: folder))
        let detected = ArchitectureDetector.detect(file)
        // All-in-one checkpoints carry the transformer under `model.diffusion_model.`; ComfyUI's
        // UNETLoader accepts those too.
        for model in detected {
            if case .flux(let parameters) = model.architecture { return (file, model, parameters) }
        }
        let found = detected.map(\.architecture.description).joined(separator: ", ")
        throw NodeError(node, "\(input): \(name) is not a diffusion model Loom can run (expected a Flux transformer; "
                        + "found \(found.isEmpty ? "no known model" : found))")
    }

    /// The MODEL for a Flux checkpoint: the transformer with its variant's default sampling
    /// (dev and Fill: Flux shift 1.15; schnell: discrete flow, shift 1).
    static func fluxModel(_ file: ModelFile, _ detected: DetectedModel, _ parameters: FluxParameters,
                          linearWeightConversion: LinearWeightConversion? = nil) throws -> DiffusionModel {
        let weights = ModelWeights(file: file, prefix: detected.prefix, context: try ComputeDevice.context(),
                                   linearWeightConversion: linearWeightConversion)
        let network = try FluxTransformer(weights: weights, parameters: parameters)
        let sampling: any ModelSampling = parameters.variant == .schnell ? DiscreteFlowModelSampling.schnell : FluxModelSampling()
        return DiffusionModel(network: network, modelSampling: sampling, latentFormat: .flux)
    }
}
