import LoomGraph
import LoomImaging
import LoomModels

/// Decodes latents to images, tiling by itself when one pass would not fit the device.
public struct VAEDecode: Node {
    public static let schema = NodeSchema(
        name: "VAEDecode", displayName: "VAE Decode", category: "latent",
        inputs: [.link("samples", "LATENT"), .link("vae", "VAE")],
        outputs: [OutputSpec("IMAGE")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let latent = try inputs("samples", as: Latent.self)
        let vae = try inputs("vae", as: VAE.self)
        return NodeResult([try VAECoding.decode(latent, vae, tiling: .automatic, node: Self.schema.name, context: context)])
    }
}

/// Encodes the RGB channels of images, cropped to multiples of 8, to latents.
public struct VAEEncode: Node {
    public static let schema = NodeSchema(
        name: "VAEEncode", displayName: "VAE Encode", category: "latent",
        inputs: [.link("pixels", "IMAGE"), .link("vae", "VAE")],
        outputs: [OutputSpec("LATENT")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let image = try inputs("pixels", as: Image.self)
        let vae = try inputs("vae", as: VAE.self)
        let samples = try VAECoding.encode(image, vae, tiling: .automatic, node: Self.schema.name, context: context)
        return NodeResult([Latent(samples: samples)])
    }
}

/// VAEDecode in overlapping tiles, with ComfyUI's inputs (sizes in pixels; the temporal inputs
/// only matter for video VAEs).
public struct VAEDecodeTiled: Node {
    public static let schema = NodeSchema(
        name: "VAEDecodeTiled", displayName: "VAE Decode (Tiled)", category: "_for_testing",
        inputs: [
            .link("samples", "LATENT"), .link("vae", "VAE"),
            .int("tile_size", default: 512, min: 64, max: 4096, step: 32),
            .int("overlap", default: 64, min: 0, max: 4096, step: 32),
            .int("temporal_size", default: 64, min: 8, max: 4096, step: 4),
            .int("temporal_overlap", default: 8, min: 4, max: 4096, step: 4),
        ],
        outputs: [OutputSpec("IMAGE")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let latent = try inputs("samples", as: Latent.self)
        let vae = try inputs("vae", as: VAE.self)
        let tileSize = try inputs("tile_size", as: Int.self)
        var overlap = try inputs("overlap", as: Int.self)
        if tileSize < overlap * 4 { overlap = tileSize / 4 }
        let factor = vae.downscaleFactor
        let layout = TileLayout(width: tileSize / factor, height: tileSize / factor, overlap: overlap / factor)
        return NodeResult([try VAECoding.decode(latent, vae, tiling: .tiles(layout), node: Self.schema.name, context: context)])
    }
}

/// VAEEncode in overlapping tiles, with ComfyUI's inputs (sizes in pixels).
public struct VAEEncodeTiled: Node {
    public static let schema = NodeSchema(
        name: "VAEEncodeTiled", displayName: "VAE Encode (Tiled)", category: "_for_testing",
        inputs: [
            .link("pixels", "IMAGE"), .link("vae", "VAE"),
            .int("tile_size", default: 512, min: 64, max: 4096, step: 64),
            .int("overlap", default: 64, min: 0, max: 4096, step: 32),
            .int("temporal_size", default: 64, min: 8, max: 4096, step: 4),
            .int("temporal_overlap", default: 8, min: 4, max: 4096, step: 4),
        ],
        outputs: [OutputSpec("LATENT")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let image = try inputs("pixels", as: Image.self)
        let vae = try inputs("vae", as: VAE.self)
        let tileSize = try inputs("tile_size", as: Int.self)
        let overlap = try inputs("overlap", as: Int.self)
        let layout = TileLayout(width: tileSize, height: tileSize, overlap: overlap)
        let samples = try VAECoding.encode(image, vae, tiling: .tiles(layout), node: Self.schema.name, context: context)
        return NodeResult([Latent(samples: samples)])
    }
}

/// What the VAE nodes share: progress per tile (an interrupt stops between tiles) and errors that
/// name the node.
enum VAECoding {
    static func decode(_ latent: Latent, _ vae: VAE, tiling: AutoencoderTiling, node: String, context: NodeContext) throws -> Image {
        guard latent.channels == vae.autoencoder.latentChannels else {
            throw NodeError(node, "samples: latents have \(latent.channels) channels, the VAE expects \(vae.autoencoder.latentChannels)")
        }
        let factor = vae.downscaleFactor
        try context.budget.checkImage(
            width: latent.width * factor, height: latent.height * factor, batch: latent.batchSize,
            channels: vae.autoencoder.imageChannels, node: node, inputs: "samples")
        return try rethrowing(node) {
            try vae.decode(latent.samples, tiling: tiling) { try context.reportProgress(Double($0), of: Double($1)) }
        }
    }

    static func encode(_ image: Image, _ vae: VAE, tiling: AutoencoderTiling, node: String, context: NodeContext) throws -> HostTensor {
        let factor = vae.downscaleFactor
        guard image.height >= factor, image.width >= factor, image.batchCount > 0 else {
            throw NodeError(node, "pixels: a \(image.width)×\(image.height) image is smaller than one \(factor)×\(factor) latent cell")
        }
        guard image.channels >= vae.autoencoder.imageChannels else {
            throw NodeError(node, "pixels: images with \(image.channels) channels; the VAE needs \(vae.autoencoder.imageChannels)")
        }
        return try rethrowing(node) {
            try vae.encode(image, tiling: tiling) { try context.reportProgress(Double($0), of: Double($1)) }
        }
    }

    /// Interrupts pass through; model and device errors gain the node's name.
    private static func rethrowing<T>(_ node: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let interrupted as ExecutionInterrupted {
            throw interrupted
        } catch {
            throw NodeError(node, "\(error)")
        }
    }
}
