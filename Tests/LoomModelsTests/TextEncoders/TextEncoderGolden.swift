import Foundation
import LoomModelFiles
import LoomModels
import Testing

/// The models and reference outputs `scripts/fixtures/make_text_encoder_golden.py` wrote.
enum TextEncoderGolden {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden/text")

    static func weights(_ name: String) throws -> ModelWeights {
        ModelWeights(file: try ModelFile.open(path: directory.appendingPathComponent(name).path), context: try ComputeDevice.processDefault.context())
    }

    static let file: ModelFile = {
        do { return try ModelFile.open(path: directory.appendingPathComponent("golden.safetensors").path) } catch { fatalError("\(error)") }
    }()

    static func values(_ name: String) -> [Float] {
        guard let tensor = file[name] else { fatalError("golden.safetensors has no \(name)") }
        return tensor.floats()
    }

    static func ids(_ name: String) -> [Int] { values(name).map { Int($0) } }
}

/// Normalised mean squared error Σ(a−b)²/Σa²; infinite when the counts differ or a value is not finite.
func nmse(_ expected: [Float], _ actual: [Float]) -> Double {
    guard expected.count == actual.count, actual.allSatisfy(\.isFinite) else { return .infinity }
    var error = 0.0, norm = 0.0
    for (e, a) in zip(expected, actual) {
        error += Double(e - a) * Double(e - a)
        norm += Double(e) * Double(e)
    }
    return error / norm
}

/// The reduced-precision threshold of shared/reference/vulkan.md.
let encoderThreshold = 5e-4
