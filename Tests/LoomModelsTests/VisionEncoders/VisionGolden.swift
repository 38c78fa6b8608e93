import Foundation
import LoomImaging
import LoomModelFiles
import LoomModels

/// The models and reference outputs `scripts/fixtures/make_vision_golden.py` wrote.
enum VisionGolden {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden/vision")

    static func weights(_ name: String) throws -> ModelWeights {
        ModelWeights(file: try ModelFile.open(path: directory.appendingPathComponent(name).path), context: try ComputeDevice.processDefault.context())
    }

    static let file: ModelFile = {
        do { return try ModelFile.open(path: directory.appendingPathComponent("golden.safetensors").path) } catch { fatalError("\(error)") }
    }()

    static func tensor(_ name: String) -> HostTensor {
        guard let tensor = file[name] else { fatalError("golden.safetensors has no \(name)") }
        return HostTensor(shape: tensor.shape, values: tensor.floats())
    }

    /// The test pixels the script feeds the encoders, rebuilt rather than stored (make_vision_golden.py's
    /// hashed_pixels): a multiplicative hash of each flat index, 24 bits of it as an exact Float, rounded to f16.
    static func hashedPixels(_ shape: [Int], salt: UInt64) -> HostTensor {
        let values = (0..<shape.reduce(1, *)).map { index -> Float in
            let hashed = UInt32(truncatingIfNeeded: (UInt64(index) &+ salt) &* 2_654_435_761) >> 8
            return Float(Float16(Float(hashed) / Float(1 << 24) * 2 - 1))
        }
        return HostTensor(shape: shape, values: values)
    }

    /// A ComfyUI IMAGE [B, H, W, C] stored by the script.
    static func image(_ name: String) -> Image {
        let stored = tensor(name)
        return Image(batchCount: stored.shape[0], height: stored.shape[1], width: stored.shape[2], channels: stored.shape[3], pixels: stored.values)
    }
}
