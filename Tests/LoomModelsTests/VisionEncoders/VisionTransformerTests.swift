import LoomImaging
import LoomModelFiles
@testable import LoomModels
import LoomVulkan
import Testing

@Suite struct VisionTransformerTests {
    @Test func siglipMatchesTransformers() throws {
        let model = try VisionTransformer(weights: VisionGolden.weights("siglip-small-f16.safetensors"))
        #expect(model.kind == .siglip)
        #expect(model.parameters.imageSize == 384)
        #expect(model.headCount == 16)
        #expect(model.activation == .geluTanh)
        #expect(model.preprocessing == .siglip(size: 384))
        #expect(model.layers[0].up.weight.dtype == .f16)
        let output = try model.encode(VisionGolden.hashedPixels([1, 3, 384, 384], salt: 1))
        #expect(output.lastHiddenState.shape == [1, 729, 64])
        let last = nmse(VisionGolden.tensor("siglip.last").values, output.lastHiddenState.values)
        let penultimate = nmse(VisionGolden.tensor("siglip.penultimate").values, output.penultimateHiddenStates.values)
        #expect(last <= encoderThreshold, "last NMSE \(last)")
        #expect(penultimate <= encoderThreshold, "penultimate NMSE \(penultimate)")
        // ComfyUI's SigLIP image_embeds are the normalised tokens themselves.
        #expect(output.imageEmbeds == output.lastHiddenState)
    }

    @Test func clipMatchesTransformersWithProjection() throws {
        let model = try VisionTransformer(weights: VisionGolden.weights("clip-vision-small-f16.safetensors"))
        #expect(model.kind == .clip)
        #expect(model.parameters.imageSize == 224)
        #expect(model.activation == .quickGELU)
        #expect(model.preprocessing == .clip(size: 224))
        let output = try model.encode(VisionGolden.hashedPixels([2, 3, 224, 224], salt: 2))
        #expect(output.lastHiddenState.shape == [2, 257, 64])
        #expect(output.imageEmbeds.shape == [2, 32])
        for (name, actual) in [("clip.last", output.lastHiddenState), ("clip.penultimate", output.penultimateHiddenStates),
                               ("clip.image_embeds", output.imageEmbeds)] {
            let error = nmse(VisionGolden.tensor(name).values, actual.values)
            #expect(error <= encoderThreshold, "\(name) NMSE \(error)")
        }
    }

    /// The model-file fixtures (`make_model_fixtures.py`): SigLIP 8 wide (one head), Redux 8 → 96 → 32.
    @Test func committedTinyFixturesChain() throws {
        let directory = VisionGolden.directory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("models")
        func weights(_ name: String) throws -> ModelWeights {
            ModelWeights(file: try ModelFile.open(path: directory.appendingPathComponent(name).path), context: try ComputeDevice.processDefault.context())
        }
        let model = try VisionTransformer(weights: weights("siglip-vision-tiny-f16.safetensors"))
        #expect(model.headCount == 1)
        let output = try model.encode(HostTensor(zeros: [1, 3, 384, 384]))
        #expect(output.lastHiddenState.shape == [1, 729, 8])
        #expect(output.lastHiddenState.values.allSatisfy { $0.isFinite })
        let tokens = try ReduxImageEncoder(weights: weights("flux-redux-tiny.safetensors"))(output.lastHiddenState)
        #expect(tokens.shape == [1, 729, 32])
    }

    @Test func wrongPixelShapeIsAnError() throws {
        let model = try VisionTransformer(weights: VisionGolden.weights("clip-vision-small-f16.safetensors"))
        #expect(throws: VisionEncoderError.self) { try model.encode(HostTensor(zeros: [1, 3, 384, 384])) }
    }

    @Test func aFileWithoutAVisionModelIsRefusedByName() throws {
        #expect {
            try VisionTransformer(weights: VisionGolden.weights("flux-redux-small-bf16.safetensors"))
        } throws: { error in
            "\(error)".contains("vision_model.embeddings.patch_embedding.weight")
        }
    }

    @Test func preprocessingMatchesComfyUI() throws {
        for name in ["odd", "rgba"] {
            let image = VisionGolden.image("preprocess.\(name).image")
            for crop in ["center", "none"] {
                for (key, preprocessing) in [("clip48", VisionPreprocessing.clip(size: 48)), ("siglip40", .siglip(size: 40))] {
                    let expected = VisionGolden.tensor("preprocess.\(name).\(crop).\(key)")
                    let actual = try preprocessing.pixelValues(image, crop: crop == "center")
                    #expect(actual.shape == expected.shape)
                    // Exact to float rounding before the 8-bit rounding; a sample whose 255·x lies within float error
                    // of a half (a few per image, measured in the script's inputs) may round to the next level.
                    let level = 1 / (255 * preprocessing.standardDeviation.min()!)  // the largest level after the std
                    let differences = zip(expected.values, actual.values).map { abs($0 - $1) }
                    let offByALevel = differences.filter { $0 > 1e-5 }
                    #expect(offByALevel.allSatisfy { $0 <= level + 1e-5 }, "\(name) \(crop) \(key): differences \(offByALevel)")
                    #expect(offByALevel.count <= expected.count / 1000, "\(name) \(crop) \(key): \(offByALevel.count) samples off by a level")
                }
            }
        }
    }

    @Test func preprocessingRefusesImagesWithoutColour() {
        let gray = Image(height: 4, width: 4, channels: 1, repeating: 0.5)
        #expect(throws: VisionEncoderError.self) { try VisionPreprocessing.clip(size: 8).pixelValues(gray, crop: true) }
    }

    @Test func extremeAspectRatiosAreRefusedBeforeTheResize() {
        // 1 × 20000 at 384 would be resized to 384 × 7,680,000 before the crop; an error instead.
        let sliver = Image(height: 1, width: 20_000, channels: 3, repeating: 0.5)
        #expect(throws: VisionEncoderError.self) { try VisionPreprocessing.clip(size: 384).pixelValues(sliver, crop: true) }
        // Without the crop it is a plain resize to the model's size.
        #expect(throws: Never.self) { try VisionPreprocessing.clip(size: 8).pixelValues(sliver, crop: false) }
    }

    @Test func reduxProjectsSiglipTokens() throws {
        let redux = try ReduxImageEncoder(weights: VisionGolden.weights("flux-redux-small-bf16.safetensors"))
        #expect(redux.parameters.inputDimension == 64 && redux.parameters.outputDimension == 16)
        // ComfyUI's StyleModelApply at strength 1: the text tokens, then Redux of ComfyUI's own SigLIP output.
        let projected = try redux(VisionGolden.tensor("comfy.vision.last"))
        let expected = VisionGolden.tensor("comfy.apply.multiply.1").values.dropFirst(7 * 16)
        #expect(nmse(Array(expected), projected.values) <= encoderThreshold)
        #expect(throws: VisionEncoderError.self) { try redux(HostTensor(zeros: [1, 3, 8])) }
    }
}
