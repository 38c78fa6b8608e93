import Foundation
import LoomGraph
import LoomImaging
@testable import LoomModels
@testable import LoomNodes
import LoomSampling
import Testing

/// How sampling hands ControlNets to the network: only inside their start/end range, with their strength and union
/// type, chained in order; and which negative prompts get ControlNetApply's ControlNets.
@Suite struct ControlNetSamplingTests {
    struct StandIn: ControlNetwork {
        let name: String
        var description: String { "stand-in ControlNet \(name)" }
    }

    let format = LatentFormat(channels: 2, scaleFactor: 0.5, shiftFactor: 0.25)

    func conditioning(_ value: Float) -> Conditioning {
        Conditioning([.init(crossAttention: HostTensor(shape: [1, 3, 4], values: .init(repeating: value, count: 12)))])
    }

    func link(_ name: String, strength: Double, start: Double, end: Double, vae: VAE, controlType: [Int] = []) -> ControlChain.Link {
        var controlNet = ControlNet(network: StandIn(name: name), family: ModelFamily.flux.name, hintLatentFormat: .flux)
        controlNet.controlType = controlType
        return ControlChain.Link(controlNet: controlNet, hint: Image(height: 16, width: 16, repeating: 0.5), strength: strength,
                                 startPercent: start, endPercent: end, vae: vae)
    }

    func vae() async throws -> VAE {
        let resources = ControlNetNodeTests.resources()
        return try #require(try await ControlNetNodeTests.run(VAELoader.self, ["vae_name": "ae.safetensors"], resources: resources)[0] as? VAE)
    }

    @Test func controlNetsSteerOnlyInsideTheirRangeInTheirOrder() async throws {
        let vae = try await vae()
        let network = RecordingNetwork()
        let model = DiffusionModel(family: .flux, network: network, modelSampling: FluxModelSampling(), latentFormat: format)
        let positive = conditioning(0.1)
            .chaining(link("pose", strength: 0.8, start: 0.2, end: 0.8, vae: vae, controlType: [0]), appliesToNegative: false)
            .chaining(link("depth", strength: 0.5, start: 0, end: 1, vae: vae), appliesToNegative: false)
        let values: [String: NodeValue] = [
            "model": model, "seed": 1, "steps": 6, "cfg": 1.0, "sampler_name": "euler", "scheduler": "simple",
            "positive": positive, "negative": conditioning(0), "latent_image": Latent(samples: HostTensor(zeros: [1, 2, 2, 2])), "denoise": 1.0,
        ]
        _ = try await KSampler().execute(NodeInputs(values), context: NodeContext(nodeID: "1", promptID: "p", resources: Resources()))

        let sampling = FluxModelSampling()
        let (start, end) = (Float(sampling.percentToSigma(0.2)), Float(sampling.percentToSigma(0.8)))
        var inside = 0
        for input in network.inputs {
            let names = input.controls.map { "\($0.network)" }
            let steered = input.timestep <= start && input.timestep >= end
            inside += steered ? 1 : 0
            #expect(names == (steered ? ["stand-in ControlNet pose", "stand-in ControlNet depth"] : ["stand-in ControlNet depth"]),
                    "sigma \(input.timestep)")
            if let pose = input.controls.first, steered {
                #expect(pose.strength == 0.8 && pose.controlType == [0] && pose.guidance == 3.5)
                // The hint is the VAE latent of the picture at the latent's pixel size, in Flux's model space.
                #expect(pose.hint.shape == [1, 16, 2, 2])
            }
        }
        #expect(inside > 0 && inside < network.inputs.count)
    }

    @Test func startAndEndPercentBecomeSigmasOfTheModelsSampling() async throws {
        let vae = try await vae()
        let model = DiffusionModel(family: .flux, network: RecordingNetwork(), modelSampling: FluxModelSampling(), latentFormat: format)
        let prepared = try PreparedControl(link("pose", strength: 1, start: 0, end: 1, vae: vae), role: "positive", model: model,
                                           shape: [1, 2, 2, 2], guidance: 30)
        // ComfyUI's percent_to_sigma: 0 → 1 and 1 → 0 for flow models, so the whole schedule is inside.
        #expect((prepared.startSigma, prepared.endSigma) == (1, 0))
        #expect(prepared.input(at: 1) != nil && prepared.input(at: 0) != nil)
        #expect(prepared.input(at: 0.5)?.guidance == 30)
        let late = try PreparedControl(link("pose", strength: 1, start: 0.5, end: 1, vae: vae), role: "positive", model: model,
                                       shape: [1, 2, 2, 2], guidance: nil)
        #expect(late.input(at: 1) == nil && late.input(at: Double(late.startSigma)) != nil)
    }

    @Test func controlNetApplyChainsGoToANegativeWithoutControlNets() async throws {
        let vae = try await vae()
        let shared = conditioning(1).chaining(link("a", strength: 1, start: 0, end: 1, vae: vae), appliesToNegative: true)
        let twoNegatives = Conditioning(conditioning(0).entries + conditioning(2).entries)
        let given = ControlChain.sharing(shared, with: twoNegatives)
        #expect(given.entries.map { $0.control?.links.map { "\($0.controlNet.network)" } } == [["stand-in ControlNet a"], nil])
        // Apply ControlNet (advanced) does not share; a negative with ControlNets of its own keeps only those.
        let advanced = conditioning(1).chaining(link("b", strength: 1, start: 0, end: 1, vae: vae), appliesToNegative: false)
        #expect(ControlChain.sharing(advanced, with: twoNegatives).entries.allSatisfy { $0.control == nil })
        let ownNegative = conditioning(0).chaining(link("c", strength: 1, start: 0, end: 1, vae: vae), appliesToNegative: false)
        #expect(ControlChain.sharing(shared, with: ownNegative).entries.first?.control?.links.map { "\($0.controlNet.network)" }
            == ["stand-in ControlNet c"])
    }

    @Test func conditioningWithAControlNetIsNotStoredOnDisk() async throws {
        let vae = try await vae()
        let applied = conditioning(1).chaining(link("a", strength: 1, start: 0, end: 1, vae: vae), appliesToNegative: false)
        #expect(throws: DiskCacheDecodingError.self) { try applied.diskCacheEncoding() }
        #expect(throws: Never.self) { try conditioning(1).diskCacheEncoding() }
    }
}
