import Foundation
import LoomGraph
import Testing
@testable import LoomModelFiles

/// Every committed fixture reads back with the tensor count, types, shapes and values the Python
/// script recorded — the cross-check between our readers and numpy / ml_dtypes / gguf.
@Suite struct FixtureReadingTests {
    @Test(arguments: Fixtures.modelNames)
    func readsWhatThePythonScriptWrote(name: String) throws {
        let file = try ModelFile.openAsStored(path: Fixtures.path(name))
        let expected = try Fixtures.expectations(name)
        #expect(file.format.rawValue == expected["format"]?.stringValue)
        #expect(file.tensors.count == expected["tensor_count"]?.intValue)
        let checks = try #require(expected["checks"]?.arrayValue)
        #expect(!checks.isEmpty)
        for check in checks {
            let tensorName = try #require(check["name"]?.stringValue)
            let tensor = try #require(file[tensorName], "\(tensorName) missing from \(name)")
            #expect(tensor.dataType.name == check["dtype"]?.stringValue, "\(tensorName)")
            let shape = check["shape"]?.arrayValue?.compactMap { $0.intValue }
            #expect(tensor.shape == shape, "\(tensorName)")
            let values = tensor.floats()
            #expect(values.count == tensor.elementCount)
            let sum = values.reduce(0.0) { $0 + Double($1) }
            let expectedSum = try #require(check["sum"]?.doubleValue)
            #expect(abs(sum - expectedSum) <= 1e-4 * max(1, abs(expectedSum)), "\(tensorName): sum \(sum) ≠ \(expectedSum)")
            let first = try #require(check["first"]?.arrayValue).compactMap { $0.doubleValue }
            #expect(first.count == min(4, values.count))
            #expect(zip(values, first).allSatisfy { Double($0) == $1 }, "\(tensorName): \(values.prefix(4)) ≠ \(first)")
        }
    }

    @Test func openCLIPTowersAreReadUnderTransformersNames() throws {
        let stored = try ModelFile.openAsStored(path: Fixtures.path("sd/sdxl-tiny.safetensors"))
        let file = try ModelFile.open(path: Fixtures.path("sd/sdxl-tiny.safetensors"))
        let tower = "conditioner.embedders.1.model."
        let fused = try #require(stored[tower + "transformer.resblocks.1.attn.in_proj_weight"]).floats()
        for (part, name) in ["q_proj", "k_proj", "v_proj"].enumerated() {
            let split = try #require(file[tower + "text_model.encoder.layers.1.self_attn.\(name).weight"])
            #expect(split.shape == [8, 8])
            #expect(split.floats() == Array(fused[(part * 64)..<((part + 1) * 64)]), "\(name)")
        }
        let projection = try #require(stored[tower + "text_projection"])
        let linear = try #require(file[tower + "text_projection.weight"])
        let (rows, columns) = (projection.shape[0], projection.shape[1])
        #expect(linear.shape == [columns, rows])
        let (original, transposed) = (projection.floats(), linear.floats())
        for row in 0..<rows { for column in 0..<columns {
            #expect(transposed[column * rows + row] == original[row * columns + column])
        } }
        #expect(file[tower + "text_model.embeddings.token_embedding.weight"]?.shape == [49408, 8])
        #expect(file[tower + "transformer.resblocks.0.ln_1.weight"] == nil)
        // CLIP-L in the same file keeps its names; the UNet and VAE are untouched.
        #expect(file["conditioner.embedders.0.transformer.text_model.encoder.layers.0.self_attn.q_proj.weight"] != nil)
        // Four layers' fused weight and bias become three tensors each; logit_scale is dropped.
        #expect(file.tensors.count == stored.tensors.count + 4 * 2 * 2 - 1)
    }

    @Test func tensorBytesComeFromTheMapWithoutCopying() throws {
        let file = try ModelFile.open(path: Fixtures.path("flux-dev-tiny.safetensors"))
        let tensor = try #require(file["img_in.weight"])
        #expect(tensor.byteCount == 16 * 64 * 2)
        let fileBytes = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("flux-dev-tiny.safetensors")))
        tensor.withUnsafeBytes { bytes in
            #expect(Array(bytes) == Array(fileBytes[tensor.byteRange]))
        }
    }

    @Test func scaledFP8ScalesAreRecognisedAndApplied() throws {
        let name = "t5-tiny-fp8-e4m3fn-scaled.safetensors"
        let file = try ModelFile.open(path: Fixtures.path(name))
        #expect(file.isScaledFP8)
        let weight = "encoder.block.0.layer.0.SelfAttention.q.weight"
        let scale = try #require(file.weightScale(for: weight))
        #expect(scale.dataType == .float32 && scale.shape == [])
        let expectedSum = try #require(Fixtures.expectations(name)["scaled_sums"]?[weight]?.doubleValue)
        let scaled = try #require(file.scaledFloats(of: weight))
        #expect(abs(scaled.reduce(0.0) { $0 + Double($1) } - expectedSum) < 1e-4 * max(1, abs(expectedSum)))

        let unscaled = try ModelFile.open(path: Fixtures.path("t5-tiny-fp8-e4m3fn.safetensors"))
        #expect(!unscaled.isScaledFP8)
        #expect(unscaled.weightScale(for: weight) == nil)
        #expect(unscaled[weight]?.dataType == .float8E4M3)
    }

    @Test func safetensorsMetadataIsRead() throws {
        let file = try ModelFile.open(path: Fixtures.path("t5-tiny-bf16.safetensors"))
        #expect(file.metadata["format"] == .string("pt"))
    }

    @Test func ggufMetadataAndMixedTypesAreRead() throws {
        let file = try ModelFile.open(path: Fixtures.path("flux-dev-tiny-Q8_0.gguf"))
        #expect(file.metadata["general.architecture"] == .string("flux"))
        #expect(file["img_in.weight"]?.dataType == .q8_0)
        #expect(file["img_in.bias"]?.dataType == .float32)
        // Rows of 16 are not whole 32-element blocks, so the writer kept them F16.
        #expect(file["final_layer.linear.weight"]?.dataType == .float16)
        #expect(file["final_layer.linear.weight"]?.shape == [64, 16])
    }

    @Test func quantisedGGUFStaysCloseToTheBF16Original() throws {
        let original = try ModelFile.open(path: Fixtures.path("flux-dev-tiny.safetensors"))
        for (name, tolerance) in [("flux-dev-tiny-Q8_0.gguf", Float(0.002)), ("flux-dev-tiny-Q4_0.gguf", Float(0.03))] {
            let quantized = try ModelFile.open(path: Fixtures.path(name))
            #expect(quantized.tensorNames.sorted() == original.tensorNames.sorted())
            let a = try #require(original["time_in.in_layer.weight"]).floats()
            let b = try #require(quantized["time_in.in_layer.weight"]).floats()
            #expect(zip(a, b).map { abs($0 - $1) }.max()! < tolerance, "\(name)")
        }
    }
}
