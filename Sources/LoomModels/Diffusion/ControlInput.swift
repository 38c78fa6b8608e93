/// A ControlNet that steers a diffusion network from inside it: the network runs it on the same state and
/// conditioning and adds its residuals to its own blocks.
public protocol ControlNetwork: Sendable, CustomStringConvertible {}

/// One ControlNet for one evaluation, as ComfyUI's `ControlNet.get_control` runs it: only the ControlNets
/// whose start/end range covers the current sigma are handed to the network.
public struct ControlInput: Sendable {
    public var network: any ControlNetwork
    /// The prepared hint at the latent's size; for Flux ControlNets the hint image's latent in model space,
    /// [batch (1 or the latent's), channels, height, width].
    public var hint: HostTensor
    /// Multiplies every residual.
    public var strength: Float
    /// A union ControlNet's mode (SetUnionControlNetType); empty for none ("auto").
    public var controlType: [Int]
    /// The distilled guidance a guidance-embedding ControlNet takes (the conditioning's, 3.5 when it sets none).
    public var guidance: Float

    public init(network: any ControlNetwork, hint: HostTensor, strength: Float, controlType: [Int] = [], guidance: Float) {
        self.network = network
        self.hint = hint
        self.strength = strength
        self.controlType = controlType
        self.guidance = guidance
    }
}

extension ControlInput {
    /// ComfyUI's `broadcast_image_to` for one conditioning batch: a single hint repeats, a longer batch is cut, a
    /// shorter one is tiled.
    static func broadcast(_ hint: HostTensor, to batch: Int) -> HostTensor {
        let count = hint.shape[0]
        if count == batch { return hint }
        let item = hint.count / count
        var values: [Float] = []
        values.reserveCapacity(batch * item)
        for index in 0..<batch {
            let pick = count == 1 ? 0 : index % count
            values += hint.values[(pick * item)..<((pick + 1) * item)]
        }
        return HostTensor(shape: [batch] + hint.shape.dropFirst(), values: values)
    }
}
