import LoomGraph
import LoomImaging
import LoomModels

/// Encodes images with the masked area set to grey (0.5) and attaches the mask, grown by
/// `grow_mask_by` pixels, as the latent's noise mask.
public struct VAEEncodeForInpaint: Node {
    public static let schema = NodeSchema(
        name: "VAEEncodeForInpaint", displayName: "VAE Encode (for Inpainting)", category: "latent/inpaint",
        inputs: [
            .link("pixels", "IMAGE"), .link("vae", "VAE"), .link("mask", "MASK"),
            .int("grow_mask_by", default: 6, min: 0, max: 64),
        ],
        outputs: [OutputSpec("LATENT")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let node = Self.schema.name
        let pixels = try inputs("pixels", as: Image.self)
        let vae = try inputs("vae", as: VAE.self)
        let grow = try inputs("grow_mask_by", as: Int.self)
        let inputMask = try inputs("mask", as: Mask.self)
        guard inputMask.batchCount == pixels.batchCount || inputMask.batchCount == 1 else {
            throw NodeError(node, "mask: \(inputMask.batchCount) masks for \(pixels.batchCount) images; give one mask or one per image")
        }
        let (image, mask) = vae.croppedToLatentGrid(pixels, mask: inputMask)
        // torch.round: halves go to even, so exactly 0.5 counts as unmasked.
        let rounded = mask.mapValues { $0.rounded(.toNearestOrEven) }
        let greyed = Self.greyed(image, where: rounded)
        let samples = try VAECoding.encode(greyed, vae, tiling: .automatic, node: node, context: context)
        let grown = grow == 0 ? rounded : Self.grown(rounded, by: grow)
        let noiseMask = HostTensor(shape: [grown.batchCount, 1, grown.height, grown.width], values: grown.values)
        return NodeResult([Latent(samples: samples, noiseMask: noiseMask)])
    }

    /// RGB set to 0.5 where the mask is 1 (`(p − 0.5)·(1 − m) + 0.5`); other channels are kept.
    static func greyed(_ image: Image, where mask: Mask) -> Image {
        var pixels = image.pixels
        let plane = image.height * image.width
        for item in 0..<image.batchCount {
            let maskItem = mask.batchCount == 1 ? 0 : item
            for index in 0..<plane {
                let keep = 1 - mask.values[maskItem * plane + index]
                for channel in 0..<min(3, image.channels) {
                    let at = (item * plane + index) * image.channels + channel
                    pixels[at] = (pixels[at] - 0.5) * keep + 0.5
                }
            }
        }
        return Image(batchCount: image.batchCount, height: image.height, width: image.width, channels: image.channels, pixels: pixels)
    }

    /// ComfyUI's growth: a `size`×`size` box sum (padding ⌈(size − 1)/2⌉ before, the output cut to
    /// the input size) clamped to 1; on a 0/1 mask, the window maximum, done per axis.
    static func grown(_ mask: Mask, by size: Int) -> Mask {
        let before = size / 2
        func windowMax(_ values: [Float], count: Int, stride: Int, lines: Int, lineStride: Int, itemSize: Int, items: Int) -> [Float] {
            var result = values
            for item in 0..<items {
                for line in 0..<lines {
                    let base = item * itemSize + line * lineStride
                    for position in 0..<count {
                        var maximum: Float = 0
                        for tap in max(0, position - before)...min(count - 1, position - before + size - 1) {
                            maximum = max(maximum, values[base + tap * stride])
                        }
                        result[base + position * stride] = min(maximum, 1)
                    }
                }
            }
            return result
        }
        let (height, width) = (mask.height, mask.width)
        let rows = windowMax(mask.values, count: width, stride: 1, lines: height, lineStride: width, itemSize: height * width, items: mask.batchCount)
        let both = windowMax(rows, count: height, stride: width, lines: width, lineStride: 1, itemSize: height * width, items: mask.batchCount)
        return Mask(batchCount: mask.batchCount, height: height, width: width, values: both)
    }
}
