import LoomModelFiles
import LoomSampling

extension ModelFamily {
    /// Flux dev, schnell and Fill: a rectified-flow transformer on the 16-channel AE, conditioned on T5
    /// tokens and CLIP-L's pooled vector.
    public static let flux = ModelFamily(
        name: "Flux",
        recognises: { if case .flux = $0 { true } else { false } },
        detectionKeys: ["double_blocks.0.img_attn.qkv.weight"],
        latentFormat: .flux,
        textEncoders: [.clipL, .t5xxl],
        sampling: { architecture, _ in
            // dev and Fill: Flux shift 1.15; schnell: discrete flow with shift 1.
            if case .flux(let parameters) = architecture, parameters.variant == .schnell {
                return DiscreteFlowModelSampling.schnell
            }
            return FluxModelSampling()
        },
        network: { architecture, weights in
            guard case .flux(let parameters) = architecture else { throw ModelFamilyError.notThisFamily("Flux", architecture) }
            return try FluxTransformer(weights: weights, parameters: parameters)
        },
        conditioning: { inputs, network in
            let concat: HostTensor? = network.concatChannels > 0
                ? try FluxFillInput(latentFormat: .flux, noiseShape: inputs.noiseShape)
                    .concatenation(image: inputs.concatLatentImage, mask: inputs.concatMask ?? inputs.denoiseMask,
                                   expectedChannels: network.concatChannels)
                : nil
            return NetworkConditioning(
                context: inputs.context, vector: inputs.pooled,
                guidance: network.usesGuidance ? inputs.guidance.map(Float.init) ?? FluxTransformer.defaultGuidance : nil,
                concat: concat, attentionMask: inputs.attentionMask)
        })
}

/// A family asked to build a network it does not recognise.
public enum ModelFamilyError: Error, Sendable, CustomStringConvertible {
    case notThisFamily(String, ModelArchitecture)

    public var description: String {
        switch self {
        case .notThisFamily(let family, let architecture): "\(architecture) is not a \(family) network"
        }
    }
}
