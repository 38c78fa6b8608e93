import LoomGraph
import LoomImaging
import LoomModels

/// ComfyUI's CONTROL_NET: a loaded ControlNet with the settings nodes put on it before it is applied.
public struct ControlNet: Sendable {
    public var network: any ControlNetwork
    /// The model family whose networks it steers, e.g. "Flux".
    public var family: String
    /// Hints become latents of this format through the VAE (`latent_format` in ComfyUI); nil for ControlNets
    /// that take pixels.
    public var hintLatentFormat: LatentFormat?
    /// SetUnionControlNetType's choice (ComfyUI's `control_type` extra argument); empty for "auto".
    public var controlType: [Int] = []
    /// The hint latent carries one more channel, a mask (ComfyUI's `concat_mask`): Alimama's inpainting ControlNet.
    public var concatMask = false

    public init(network: any ControlNetwork, family: String, hintLatentFormat: LatentFormat?) {
        self.network = network
        self.family = family
        self.hintLatentFormat = hintLatentFormat
    }

    /// Whether the hint goes through a VAE: ComfyUI raises when sampling if none was given.
    public var needsVAE: Bool { hintLatentFormat != nil }

    /// The hint as the network takes it for a latent of `latentShape` ([batch, channels, height, width]), as
    /// ComfyUI's `get_control` prepares it: resized to the latent's pixel size (nearest-exact, cut to its
    /// aspect ratio about the centre), then, for latent hints, VAE-encoded and moved into model space, with the
    /// masks of `extraConcat` ([batch, 1, height, width]; all ones when none is given) as more channels when the
    /// ControlNet takes a mask.
    func preparedHint(_ image: Image, vae: VAE?, latentShape: [Int], extraConcat: [HostTensor] = []) throws -> HostTensor {
        guard let format = hintLatentFormat else {
            // Pixel hints ([B, C, 8·H, 8·W] in [0, 1]) go to the network as they are.
            let resized = image.scaled(width: latentShape[3] * 8, height: latentShape[2] * 8, method: .nearestExact, centerCrop: true)
            let (batch, height, width, channels) = (resized.batchCount, resized.height, resized.width, resized.channels)
            var planes = [Float](repeating: 0, count: resized.pixels.count)
            for item in 0..<batch {
                for index in 0..<(height * width) {
                    for channel in 0..<channels {
                        planes[(item * channels + channel) * height * width + index] = resized.pixels[(item * height * width + index) * channels + channel]
                    }
                }
            }
            return HostTensor(shape: [batch, channels, height, width], values: planes)
        }
        guard let vae else {
            throw ConditioningError("the \(network) encodes its hint with a VAE, but none was given (connect the vae input of Apply ControlNet)")
        }
        let factor = vae.downscaleFactor
        let resized = image.scaled(width: latentShape[3] * factor, height: latentShape[2] * factor, method: .nearestExact, centerCrop: true)
        let latent = try vae.encode(resized)
        guard latent.shape[1] == format.channels else {
            throw ConditioningError("the VAE gives \(latent.shape[1])-channel latents; the \(network) takes \(format.channels)")
        }
        let hint = HostTensor(shape: latent.shape, values: format.processIn(latent.values))
        guard concatMask else { return hint }
        let (batch, height, width) = (hint.shape[0], hint.shape[2], hint.shape[3])
        let masks = extraConcat.isEmpty ? [HostTensor(shape: [1, 1, 1, 1], values: [1])] : extraConcat
        return HostTensor.concatenatingChannels([hint] + masks.map { mask in
            ControlInput.broadcast(mask.resizedPlanes(height: height, width: width, method: .nearestExact, centerCrop: true), to: batch)
        })
    }
}

/// ControlNets attached to a conditioning entry, in the order they were applied: ComfyUI's `control` with its
/// chain of `previous_controlnet`s. Each one's residuals add to the others'.
public struct ControlChain: Sendable {
    public struct Link: Sendable {
        public var controlNet: ControlNet
        /// The hint picture (IMAGE), resized when sampling to the latent's size.
        public var hint: Image
        public var strength: Double
        /// The part of the run it steers, as fractions of the schedule (ComfyUI's `timestep_percent_range`).
        public var startPercent: Double
        public var endPercent: Double
        public var vae: VAE?
        /// ControlNetInpaintingAliMamaApply's inverted mask, [batch, 1, height, width], for ControlNets that take one.
        public var extraConcat: [HostTensor] = []
    }

    public var links: [Link]
    /// ControlNetApply's `control_apply_to_uncond`: a negative prompt without ControlNets of its own gets these.
    public var appliesToNegative: Bool

    var memoryFootprint: Int { links.reduce(0) { $0 + $1.hint.memoryFootprint } }
    var memoryBuffers: [MemoryBuffer] { links.map { MemoryBuffer($0.hint.pixels) } }
}
