import Foundation
import LoomModelFiles
import LoomModels
import LoomVulkan
import Testing

enum ModelFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models")

    static func open(_ name: String) throws -> ModelFile {
        try ModelFile.open(path: directory.appendingPathComponent(name).path)
    }
}

@Suite struct ModelWeightsTests {
    @Test func linearKeepsStoredDTypeAndBiasBecomesF32() throws {
        let weights = ModelWeights(file: try ModelFixtures.open("flux-dev-tiny.safetensors"), context: try ComputeDevice.processDefault.context())
        let linear = try weights.linear("img_in", inputs: 64, outputs: 16)
        #expect(linear.weight.dtype == .bf16)
        #expect(linear.bias?.dtype == .f32)
        let expected = try weights.stored("img_in.weight").floats()
        #expect(try weights.context.download(linear.weight) == expected)
    }

    @Test func quantisedWeightsStayQuantised() throws {
        let weights = ModelWeights(file: try ModelFixtures.open("flux-dev-tiny-Q8_0.gguf"), context: try ComputeDevice.processDefault.context())
        let quantised = weights.file.tensors.first { $0.dataType == .q8_0 }!
        #expect(try weights.tensor(quantised.name).dtype == .q8_0)
    }

    @Test func scaledFP8CarriesItsScale() throws {
        let weights = ModelWeights(file: try ModelFixtures.open("t5-tiny-fp8-e4m3fn-scaled.safetensors"), context: try ComputeDevice.processDefault.context())
        let name = weights.file.tensors.first { $0.dataType == .float8E4M3 && $0.name.hasSuffix(".weight") }!.name
        let linear = try weights.linear(String(name.dropLast(".weight".count)))
        #expect(linear.weight.dtype == .f8E4M3)
        #expect(linear.weightScale == weights.file.weightScale(for: name)!.floats()[0])
        #expect(linear.weightScale != 1)
    }

    @Test func missingAndMisshapenTensorsNameTheFile() throws {
        let weights = ModelWeights(file: try ModelFixtures.open("flux-dev-tiny.safetensors"), context: try ComputeDevice.processDefault.context())
        #expect(throws: ModelLoadingError.self) { try weights.tensor("no.such.weight") }
        let error = #expect(throws: ModelLoadingError.self) { try weights.linear("img_in", inputs: 32) }
        #expect(error?.description.contains("flux-dev-tiny.safetensors") == true)
        #expect(error?.description.contains("[16, 32]") == true)
    }

    /// PyTorch would cast booleans and bytes into a float parameter; a weight stored that way is a broken file.
    @Test func booleanAndIntegerWeightsAreRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-weights-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("ints.safetensors")
        try SafetensorsWriting.write([
            .init(name: "flag.weight", dataType: .bool, shape: [2, 2], bytes: [1, 0, 0, 1]),
            .init(name: "byte.weight", dataType: .uint8, shape: [2, 2], bytes: [1, 2, 3, 4]),
            .init(name: "real.weight", dataType: .float32, shape: [1], bytes: [0, 0, 128, 63]),
        ], to: url)
        let weights = ModelWeights(file: try ModelFile.open(path: url.path), context: try ComputeDevice.processDefault.context())
        for name in ["flag", "byte"] {
            let error = #expect(throws: ModelLoadingError.self) { try weights.linear(name) }
            #expect(error?.description.contains("weights must be floating point") == true, "\(name)")
            #expect(throws: ModelLoadingError.self) { try weights.floats(name + ".weight") }
        }
        #expect(try weights.floats("real.weight") == [1])
    }
}
