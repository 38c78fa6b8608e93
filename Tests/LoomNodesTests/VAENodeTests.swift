import Foundation
import LoomGraph
import LoomImaging
import LoomModelFiles
import LoomModels
import LoomNodes
import Testing

@Suite struct VAENodeTests {
    static let goldenDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/golden/vae")

    static func run<N: Node>(_ type: N.Type, _ values: [String: NodeValue], resources: Resources = Resources(),
                             progress: @escaping @Sendable (Double, Double) -> Void = { _, _ in }) async throws -> NodeResult {
        try await N().execute(
            NodeInputs(values, nodeID: "1", classType: N.schema.name),
            context: NodeContext(nodeID: "1", promptID: "p", resources: resources, progress: progress))
    }

    /// A raw float32 golden array, shape from the manifest.
    static func golden(_ name: String) throws -> HostTensor {
        struct Entry: Decodable { let file: String; let shape: [Int] }
        struct Manifest: Decodable { let arrays: [String: Entry] }
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: goldenDirectory.appendingPathComponent("manifest.json")))
        let entry = try #require(manifest.arrays[name])
        let data = try Data(contentsOf: goldenDirectory.appendingPathComponent(entry.file))
        let values = data.withUnsafeBytes { bytes in
            (0..<(bytes.count / 4)).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        return HostTensor(shape: entry.shape, values: values)
    }

    /// ComfyUI's IMAGE for an NCHW tensor in [-1, 1].
    static func image(fromSigned tensor: HostTensor) -> Image {
        let (batch, channels, height, width) = (tensor.shape[0], tensor.shape[1], tensor.shape[2], tensor.shape[3])
        var pixels = [Float](repeating: 0, count: tensor.count)
        for b in 0..<batch {
            for c in 0..<channels {
                for i in 0..<(height * width) {
                    pixels[(b * height * width + i) * channels + c] = (tensor.values[(b * channels + c) * height * width + i] + 1) / 2
                }
            }
        }
        return Image(batchCount: batch, height: height, width: width, channels: channels, pixels: pixels)
    }

    /// VAELoader over a model folder holding the golden AE under another name.
    static func loadVAE() async throws -> VAE {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("loom-vae-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("vae"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.copyItem(at: goldenDirectory.appendingPathComponent("flux-ae-golden-bf16.safetensors"),
                                         to: root.appendingPathComponent("vae/renamed.safetensors"))
        let resources = Resources()
        FolderPaths(base: root.path, models: ModelDirectories(modelsRoot: root.path)).register(in: resources)
        let result = try await run(VAELoader.self, ["vae_name": "renamed.safetensors"], resources: resources)
        return try #require(result.outputs[0] as? VAE)
    }

    /// A whole graph through validation and the executor: load, decode empty latents, encode the
    /// images again, upscale the latents with bislerp and decode once more.
    @Test func workflowRunsThroughTheExecutor() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("loom-vae-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("vae"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.copyItem(at: Self.goldenDirectory.appendingPathComponent("flux-ae-golden-bf16.safetensors"),
                                         to: root.appendingPathComponent("vae/ae.safetensors"))
        let resources = Resources()
        FolderPaths(base: root.path, models: ModelDirectories(modelsRoot: root.path)).register(in: resources)
        func node(_ id: String, _ classType: String, _ inputs: [(String, PromptInput)]) -> PromptNode {
            PromptNode(id: id, classType: classType, inputs: inputs.map { (name: $0.0, value: $0.1) })
        }
        func link(_ node: String, _ output: Int = 0) -> PromptInput { .link(NodeLink(node: node, output: output)) }
        let prompt = Prompt(nodes: [
            node("1", "VAELoader", [("vae_name", .literal("ae.safetensors"))]),
            node("2", "EmptySD3LatentImage", [("width", .literal(64)), ("height", .literal(48)), ("batch_size", .literal(2))]),
            node("3", "VAEDecode", [("samples", link("2")), ("vae", link("1"))]),
            node("4", "VAEEncode", [("pixels", link("3")), ("vae", link("1"))]),
            node("5", "LatentUpscaleBy", [("samples", link("4")), ("upscale_method", .literal("bislerp")), ("scale_by", .literal(2.0))]),
            node("6", "VAEDecode", [("samples", link("5")), ("vae", link("1"))]),
            node("7", "GetImageSize", [("image", link("6"))]),
            node("8", "PreviewAny", [("source", link("7", 0))]),
            node("9", "PreviewAny", [("source", link("7", 1))]),
            node("10", "PreviewAny", [("source", link("7", 2))]),
        ])
        let validated = try Validator(registry: NodeLibrary.registry, resources: resources).validate(prompt)
        let outcome = await Executor(registry: NodeLibrary.registry, resources: resources).run(validated)
        #expect(outcome.outputs["8"]?["text"] == ["128"])
        #expect(outcome.outputs["9"]?["text"] == ["96"])
        #expect(outcome.outputs["10"]?["text"] == ["2"])
    }

    @Test func loaderReportsMissingFiles() async throws {
        let resources = Resources()
        FolderPaths(base: "/nonexistent", models: ModelDirectories(modelsRoot: "/nonexistent")).register(in: resources)
        await #expect(throws: NodeError.self) { try await Self.run(VAELoader.self, ["vae_name": "ae.safetensors"], resources: resources) }
    }

    @Test func encodeAndDecodeMatchTheReferenceThroughComfyPixelConventions() async throws {
        let vae = try await Self.loadVAE()
        let image = Self.image(fromSigned: try Self.golden("encode_2x40x56_image"))
        let encoded = try await Self.run(VAEEncode.self, ["pixels": image, "vae": vae])
        let latent = try #require(encoded.outputs[0] as? Latent)
        let mean = try Self.golden("encode_2x40x56_mean")
        #expect(latent.samples.shape == mean.shape)
        #expect(nmse(latent.samples.values, reference: mean.values) <= 5e-4)

        let reference = try Self.golden("decode_2x5x7_image")
        let decoded = try await Self.run(VAEDecode.self, ["samples": Latent(samples: try Self.golden("decode_2x5x7_latent")), "vae": vae])
        let pixels = try #require(decoded.outputs[0] as? Image)
        let expected = Self.image(fromSigned: reference).pixels.map { min(max($0, 0), 1) }
        #expect(pixels.batchCount == 2 && pixels.height == 40 && pixels.width == 56 && pixels.channels == 3)
        #expect(nmse(pixels.pixels, reference: expected) <= 5e-4)
        #expect(pixels.pixels.allSatisfy { (0...1).contains($0) })
    }

    @Test func encodeCropsToTheLatentGridAroundTheCentre() async throws {
        let vae = try await Self.loadVAE()
        let full = Image(batchCount: 1, height: 45, width: 61, channels: 4,
                         pixels: (0..<(45 * 61 * 4)).map { Float(($0 * 7919) % 251) / 250 })
        let cropped = full.cropped(x: 2, y: 2, width: 56, height: 40)
        let fromFull = try #require(try await Self.run(VAEEncode.self, ["pixels": full, "vae": vae]).outputs[0] as? Latent)
        let fromCrop = try #require(try await Self.run(VAEEncode.self, ["pixels": cropped, "vae": vae]).outputs[0] as? Latent)
        #expect(fromFull.samples.shape == [1, 16, 5, 7])
        #expect(fromFull.samples == fromCrop.samples)
    }

    /// The tiled nodes turn ComfyUI's pixel sizes into tiles as ComfyUI does (decode: tile and
    /// overlap divided by 8, the overlap first cut to a quarter of the tile; encode: pixels as
    /// given) and report progress per tile.
    @Test func tiledNodesUseComfyUIsTileSizes() async throws {
        let vae = try await Self.loadVAE()
        let latent = Latent(samples: HostTensor(shape: [1, 16, 12, 14], values: (0..<(16 * 12 * 14)).map { sin(Float($0) * 0.37) }))
        let reports = ProgressLog()
        let tiled = try #require(try await Self.run(
            VAEDecodeTiled.self,
            ["samples": latent, "vae": vae, "tile_size": 64, "overlap": 32, "temporal_size": 64, "temporal_overlap": 8],
            progress: { reports.append($0, $1) }).outputs[0] as? Image)
        let expected = try vae.decode(latent.samples, tiling: .tiles(TileLayout(width: 8, height: 8, overlap: 2)))
        #expect(tiled == expected)
        let whole = try vae.decode(latent.samples, tiling: .never)
        #expect(tiled != whole, "the decode must have been tiled")
        let log = reports.entries
        #expect(log.count > 3 && log.last.map { $0.0 == $0.1 } == true)

        let image = Self.image(fromSigned: HostTensor(shape: [1, 3, 64, 80], values: (0..<(3 * 64 * 80)).map { 0.8 * cos(Float($0) * 0.011) }))
        let tiledLatent = try #require(try await Self.run(
            VAEEncodeTiled.self, ["pixels": image, "vae": vae, "tile_size": 64, "overlap": 16, "temporal_size": 64, "temporal_overlap": 8]
        ).outputs[0] as? Latent)
        #expect(tiledLatent.samples == (try vae.encode(image, tiling: .tiles(TileLayout(width: 64, height: 64, overlap: 16)))))
        #expect(tiledLatent.samples.shape == [1, 16, 8, 10])
    }

    /// An interrupt requested during a tiled decode stops it at the next tile.
    @Test func interruptStopsBetweenTiles() async throws {
        let vae = try await Self.loadVAE()
        let latent = Latent(samples: HostTensor(shape: [1, 16, 12, 14], values: (0..<(16 * 12 * 14)).map { cos(Float($0) * 0.21) }))
        let interruption = Interruption()
        let reports = ProgressLog()
        let context = NodeContext(nodeID: "1", promptID: "p", resources: Resources(), interruption: interruption) { done, total in
            reports.append(done, total)
            if done == 1 { interruption.request() }
        }
        let inputs = NodeInputs(["samples": latent, "vae": vae, "tile_size": 64, "overlap": 0, "temporal_size": 64, "temporal_overlap": 8],
                                nodeID: "1", classType: VAEDecodeTiled.schema.name)
        await #expect(throws: ExecutionInterrupted.self) { try await VAEDecodeTiled().execute(inputs, context: context) }
        // Reports before the first tile and after it; the second tile's report finds the interrupt.
        #expect(reports.entries.map(\.0) == [0, 1])
        #expect((reports.entries.first?.1 ?? 0) > 2)
    }

    @Test func encodeForInpaintGreysTheMaskAndGrowsTheNoiseMask() async throws {
        let vae = try await Self.loadVAE()
        let image = Image(batchCount: 1, height: 42, width: 33, channels: 3, pixels: (0..<(42 * 33 * 3)).map { Float(($0 * 31) % 97) / 96 })
        var mask = Mask(height: 42, width: 33, repeating: 0)
        mask[0, 20, 10] = 1
        let result = try #require(try await Self.run(
            VAEEncodeForInpaint.self, ["pixels": image, "vae": vae, "mask": mask, "grow_mask_by": 6]).outputs[0] as? Latent)
        // 42×33 crops to 40×32 from (y 1, x 0): the masked pixel lands at (19, 10).
        let noiseMask = try #require(result.noiseMask)
        #expect(noiseMask.shape == [1, 1, 40, 32])
        let marked = noiseMask.values.indices.filter { noiseMask.values[$0] == 1 }.map { ($0 / 32, $0 % 32) }
        // A 6-wide window padded by 3 before: rows 17...22 and columns 8...13 see the pixel.
        #expect(marked.count == 36)
        #expect(marked.allSatisfy { (17...22).contains($0.0) && (8...13).contains($0.1) })

        var greyed = image.cropped(x: 0, y: 1, width: 32, height: 40)
        greyed = Image(batchCount: 1, height: 40, width: 32, channels: 3, pixels: greyed.pixels.enumerated().map { index, value in
            index / 3 == 19 * 32 + 10 ? 0.5 : value
        })
        let plain = try #require(try await Self.run(VAEEncode.self, ["pixels": greyed, "vae": vae]).outputs[0] as? Latent)
        #expect(result.samples == plain.samples)
    }
}

/// Progress reports collected from the node's (Sendable) callback.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [(Double, Double)] = []

    func append(_ value: Double, _ total: Double) {
        lock.lock()
        stored.append((value, total))
        lock.unlock()
    }

    var entries: [(Double, Double)] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
