import Foundation
import LoomGraph
import LoomImaging
import LoomModelFiles
import LoomModels
import LoomNodes
import Testing

/// kaibioinfo's ComfyUI_AdvancedRefluxControl nodes (ReduxAdvanced, StyleModelApplySimple) on the tiny SigLIP and
/// Redux fixtures, against the pack's own code run in ComfyUI (`scripts/fixtures/make_reflux_golden.py`).
@Suite struct RefluxNodeTests {
    static let directory = ReduxAttentionBiasTests.fixtures.appendingPathComponent("golden/reflux")
    static let golden: ModelFile = {
        do { return try ModelFile.open(path: directory.appendingPathComponent("golden.safetensors").path) } catch { fatalError("\(error)") }
    }()
    static var manifest: [String: [String: [String: Any]]] {
        do {
            return try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("manifest.json"))) as! [String: [String: [String: Any]]]
        } catch { fatalError("\(error)") }
    }

    static func tensor(_ name: String) -> HostTensor {
        guard let stored = golden[name] else { fatalError("golden.safetensors has no \(name)") }
        return HostTensor(shape: stored.shape, values: stored.floats())
    }

    static func image(_ name: String) -> Image {
        if name == "big" { return bigImage() }
        let t = tensor("image.\(name)")
        return Image(batchCount: t.shape[0], height: t.shape[1], width: t.shape[2], channels: t.shape[3], pixels: t.values)
    }

    static func mask(_ name: String) -> Mask {
        if name == "big" { return blob(height: 300, width: 700, cy: 150, cx: 500, ry: 40, rx: 60) }
        let t = tensor("mask.\(name)")
        return Mask(batchCount: t.shape[0], height: t.shape[1], width: t.shape[2], values: t.values)
    }

    /// The script's unstored 300 × 700 image, computed as it computes it.
    static func bigImage() -> Image {
        var pixels: [Float] = []
        for y in 0..<300 {
            for x in 0..<700 {
                for c in 0..<3 {
                    let angle = 0.043 * Double(x) * Double(c + 1) + 0.071 * Double(y) * Double(3 - c)
                    pixels.append(Float(Float16(0.5 + 0.5 * sin(angle))))
                }
            }
        }
        return Image(batchCount: 1, height: 300, width: 700, channels: 3, pixels: pixels)
    }

    /// The script's soft blob, in float32 and rounded to F16.
    static func blob(height: Int, width: Int, cy: Float, cx: Float, ry: Float, rx: Float) -> Mask {
        var values: [Float] = []
        for y in 0..<height {
            for x in 0..<width {
                let dy = (Float(y) - cy) / ry, dx = (Float(x) - cx) / rx
                values.append(Float(Float16(min(max(Float(1.2) - (dy * dy + dx * dx), 0), 1))))
            }
        }
        return Mask(batchCount: 1, height: height, width: width, values: values)
    }

    static func run<N: Node>(_ type: N.Type, _ values: [String: NodeValue], resources: Resources) async throws -> [NodeValue] {
        try await N().execute(NodeInputs(values, nodeID: "1", classType: N.schema.name),
                              context: NodeContext(nodeID: "1", promptID: "p", resources: resources)).outputs
    }

    struct Loaded {
        let vision: NodeValue
        let style: NodeValue
        let text: Conditioning
    }

    static func load(_ resources: Resources) async throws -> Loaded {
        let vision = try await run(CLIPVisionLoader.self, ["clip_name": "sigclip_vision_patch14_384.safetensors"], resources: resources)[0]
        let style = try await run(StyleModelLoader.self, ["style_model_name": "flux1-redux-dev.safetensors"], resources: resources)[0]
        return Loaded(vision: vision, style: style, text: Conditioning([Conditioning.Entry(crossAttention: tensor("text"))]))
    }

    /// Sums over x and over y of a [B, H, W, C] plane set, as the script stores them ([B, H, C] and [B, W, C]).
    static func projections(_ values: [Float], batch: Int, height: Int, width: Int, channels: Int) -> (rows: [Float], columns: [Float]) {
        var rows = [Float](repeating: 0, count: batch * height * channels), columns = [Float](repeating: 0, count: batch * width * channels)
        for b in 0..<batch {
            for y in 0..<height {
                for x in 0..<width {
                    for c in 0..<channels {
                        let value = values[((b * height + y) * width + x) * channels + c]
                        rows[(b * height + y) * channels + c] += value
                        columns[(b * width + x) * channels + c] += value
                    }
                }
            }
        }
        return (rows, columns)
    }

    @Test func reduxAdvancedMatchesThePack() async throws {
        let models = try ReduxAttentionBiasTests.Models()
        defer { models.temporary.remove() }
        let loaded = try await Self.load(models.resources)
        for (name, case_) in try #require(Self.manifest["advanced"]).sorted(by: { $0.key < $1.key }) {
            var values: [String: NodeValue] = [
                "conditioning": loaded.text, "style_model": loaded.style, "clip_vision": loaded.vision,
                "image": Self.image(case_["image"] as! String), "downsampling_factor": case_["downsampling_factor"] as! Double,
                "downsampling_function": case_["downsampling_function"] as! String, "mode": case_["mode"] as! String,
                "weight": case_["weight"] as! Double, "autocrop_margin": case_["autocrop_margin"] as! Double,
            ]
            if let mask = case_["mask"] as? String { values["mask"] = Self.mask(mask) }
            let outputs = try await Self.run(ReduxAdvanced.self, values, resources: models.resources)

            let entry = try #require((outputs[0] as? Conditioning)?.entries.first)
            let text = Self.tensor("text")
            #expect(Array(entry.crossAttention.values.prefix(text.count)) == text.values, "\(name): text tokens kept")
            let expected = Self.tensor("advanced.\(name).tokens")
            #expect(entry.crossAttention.shape[1] - text.shape[1] == case_["tokens"] as! Int, "\(name): token count")
            let tokens = Array(entry.crossAttention.values.dropFirst(text.count))
            let error = nmse(tokens, reference: expected.values)
            #expect(error <= 5e-4, "\(name): tokens NMSE \(error)")

            let framed = try #require(outputs[1] as? Image)
            #expect([framed.batchCount, framed.height, framed.width, framed.channels] == case_["framed"] as! [Int], "\(name): framed shape")
            let image = Self.projections(framed.pixels, batch: framed.batchCount, height: framed.height, width: framed.width, channels: framed.channels)
            #expect(nmse(image.rows, reference: Self.tensor("advanced.\(name).image.rows").values) <= 1e-8, "\(name): image rows")
            #expect(nmse(image.columns, reference: Self.tensor("advanced.\(name).image.columns").values) <= 1e-8, "\(name): image columns")
            if case_["has_mask"] as! Bool {
                let mask = try #require(outputs[2] as? Mask, "\(name): a MASK")
                let sums = Self.projections(mask.values, batch: mask.batchCount, height: mask.height, width: mask.width, channels: 1)
                #expect(nmse(sums.rows, reference: Self.tensor("advanced.\(name).mask.rows").values) <= 1e-8, "\(name): mask rows")
                #expect(nmse(sums.columns, reference: Self.tensor("advanced.\(name).mask.columns").values) <= 1e-8, "\(name): mask columns")
            } else {
                #expect(outputs[2] as? JSONValue == .null, "\(name): no mask, as the pack returns None")
            }
        }
    }

    @Test func styleModelApplySimpleMatchesThePack() async throws {
        let models = try ReduxAttentionBiasTests.Models()
        defer { models.temporary.remove() }
        let loaded = try await Self.load(models.resources)
        let encoded = try await Self.run(CLIPVisionEncode.self, ["clip_vision": loaded.vision, "image": Self.image("tall"), "crop": "center"],
                                         resources: models.resources)[0]
        let text = Self.tensor("text")
        for (strength, case_) in try #require(Self.manifest["simple"]) {
            let outputs = try await Self.run(StyleModelApplySimple.self, [
                "conditioning": loaded.text, "style_model": loaded.style, "clip_vision_output": encoded, "image_strength": strength,
            ], resources: models.resources)
            let entry = try #require((outputs[0] as? Conditioning)?.entries.first)
            #expect(entry.crossAttention.shape[1] - text.shape[1] == case_["tokens"] as! Int, "\(strength): token count")
            let expected = Self.tensor("simple.\(strength).tokens").values
            let tokens = Array(entry.crossAttention.values.dropFirst(text.count).prefix(expected.count))
            let error = nmse(tokens, reference: expected)
            #expect(error <= 5e-4, "\(strength): NMSE \(error)")
        }
    }

    @Test func schemasAreThePacks() {
        #expect(ReduxAdvanced.schema.inputs.map(\.name) == [
            "conditioning", "style_model", "clip_vision", "image", "downsampling_factor", "downsampling_function", "mode", "weight",
            "mask", "autocrop_margin",
        ])
        #expect(ReduxAdvanced.schema.inputs.filter { $0.section == .optional }.map(\.name) == ["mask", "autocrop_margin"])
        #expect(ReduxAdvanced.schema.outputs.map(\.type) == ["CONDITIONING", "IMAGE", "MASK"])
        let defaults = Dictionary(uniqueKeysWithValues: ReduxAdvanced.schema.inputs.compactMap { input in input.kind.defaultValue.map { (input.name, $0) } })
        #expect(defaults["downsampling_factor"] == .double(3) && defaults["weight"] == .double(1) && defaults["autocrop_margin"] == .double(0.1))
        #expect(defaults["downsampling_function"] == .string("area") && defaults["mode"] == .string("center crop (square)"))
        guard case .combo(let modes) = ReduxAdvanced.schema.inputs[6].kind, case .fixed(let names) = modes.choices else {
            Issue.record("mode is not a fixed combo")
            return
        }
        #expect(names == ["center crop (square)", "keep aspect ratio", "autocrop with mask"])
        #expect(StyleModelApplySimple.schema.inputs.map(\.name) == ["conditioning", "style_model", "clip_vision_output", "image_strength"])
        #expect(StyleModelApplySimple.schema.inputs[3].kind.defaultValue == .string("medium"))
        #expect(StyleModelApplySimple.schema.outputs.map(\.type) == ["CONDITIONING"])
        let registered = Set(NodeLibrary.nodeTypes.map { $0.schema.name })
        #expect(registered.isSuperset(of: ["ReduxAdvanced", "StyleModelApplySimple"]))
        #expect([ReduxAdvanced.schema.displayName, StyleModelApplySimple.schema.displayName]
            == ["Apply Redux model (advanced)", "Apply style model (simple)"])
    }

    @Test func badInputsAreNamed() async throws {
        let models = try ReduxAttentionBiasTests.Models()
        defer { models.temporary.remove() }
        let loaded = try await Self.load(models.resources)
        func advanced(_ changes: [String: NodeValue]) async throws {
            let values: [String: NodeValue] = [
                "conditioning": loaded.text, "style_model": loaded.style, "clip_vision": loaded.vision, "image": Self.image("tall"),
                "downsampling_factor": 3.0, "downsampling_function": "area", "mode": "center crop (square)", "weight": 1.0,
            ]
            _ = try await Self.run(ReduxAdvanced.self, values.merging(changes) { $1 }, resources: models.resources)
        }
        await #expect { try await advanced(["mode": "autocrop with mask"]) } throws: { "\($0)".contains("mask: 'autocrop with mask' needs a mask") }
        await #expect { try await advanced(["mode": "autocrop with mask", "mask": Mask(height: 71, width: 50, repeating: 0)]) } throws: {
            "\($0)".contains("at least one non-zero pixel")
        }
        await #expect { try await advanced(["mode": "autocrop with mask", "mask": Mask(height: 10, width: 50, repeating: 1)]) } throws: {
            "\($0)".contains("the image's size")
        }
        // Two images: the pack's grid view and masks take one image's tokens.
        let two = Image(batchCount: 2, height: 40, width: 40, channels: 3, repeating: 0.5)
        await #expect { try await advanced(["image": two]) } throws: { "\($0)".contains("square grid") }
        await #expect { try await advanced(["image": two, "downsampling_factor": 1.0, "mode": "keep aspect ratio"]) } throws: {
            "\($0)".contains("one image with one mask")
        }
        // One factor-1 run of two images works: the tokens of both follow the text.
        try await advanced(["image": two, "downsampling_factor": 1.0])
        let simple = try await Self.run(CLIPVisionEncode.self, ["clip_vision": loaded.vision, "image": two, "crop": "center"], resources: models.resources)[0]
        await #expect {
            try await Self.run(StyleModelApplySimple.self, ["conditioning": loaded.text, "style_model": loaded.style, "clip_vision_output": simple,
                                                            "image_strength": "low"], resources: models.resources)
        } throws: { "\($0)".contains("square grid") }
    }
}
