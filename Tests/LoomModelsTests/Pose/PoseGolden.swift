import Foundation
import LoomGraph
import LoomImaging
import LoomModelFiles
import LoomModels

/// What `scripts/fixtures/make_openpose_golden.py` wrote from comfyui_controlnet_aux's own code.
enum PoseGolden {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden/pose")
    static let modelsDirectory = directory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("models")

    static func file(_ name: String) -> ModelFile {
        do { return try ModelFile.open(path: directory.appendingPathComponent(name).path) } catch { fatalError("\(error)") }
    }

    static let opencv = file("opencv.safetensors")
    static let network = file("network.safetensors")
    static let decode = file("decode.safetensors")

    /// decode.json, read with Loom's own parser: Foundation's rounds some 17-digit numbers.
    static let document: JSONValue = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("decode.json"))
        return try! JSONValue(parsing: [UInt8](data))
    }()

    static func doubles(_ value: JSONValue?) -> [Double]? { value?.arrayValue?.map { $0.doubleValue! } }

    static func stored(_ file: ModelFile, _ name: String) -> StoredTensor {
        guard let tensor = file[name] else { fatalError("\(file.path) has no \(name)") }
        return tensor
    }

    static func bytes(_ file: ModelFile, _ name: String) -> [UInt8] {
        stored(file, name).withUnsafeBytes { Array($0) }
    }

    static func floats(_ file: ModelFile, _ name: String) -> [Float] { stored(file, name).floats() }

    static func doubles(_ file: ModelFile, _ name: String) -> [Double] {
        let tensor = stored(file, name)
        precondition(tensor.dataType == .float64)
        return tensor.withUnsafeBytes { bytes in
            (0..<tensor.elementCount).map { Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))) }
        }
    }

    static func integers(_ file: ModelFile, _ name: String) -> [Int] {
        let tensor = stored(file, name)
        return tensor.withUnsafeBytes { bytes in
            switch tensor.dataType {
            case .int32: (0..<tensor.elementCount).map { Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
            case .int64: (0..<tensor.elementCount).map { Int(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))) }
            default: fatalError("\(name) is not an integer tensor")
            }
        }
    }

    /// A uint8 [H, W, C] array.
    static func image(_ file: ModelFile, _ name: String) -> ByteImage {
        let shape = stored(file, name).shape
        return ByteImage(height: shape[0], width: shape[1], channels: shape[2], samples: bytes(file, name))
    }

    static func tensor(_ file: ModelFile, _ name: String) -> HostTensor {
        HostTensor(shape: stored(file, name).shape, values: floats(file, name))
    }

    static func png(_ name: String) throws -> ByteImage {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        let raster = try RasterImage(decodingPNG: [UInt8](data))
        return ByteImage(height: raster.height, width: raster.width, channels: raster.channels, samples: raster.samples.map { UInt8($0) })
    }
}

/// A network that returns stored outputs, for decoding tests: random weights find nobody.
struct ReplayedBodyNetwork: BodyPoseNetwork {
    let affinities: HostTensor
    let heatmaps: HostTensor

    func affinitiesAndHeatmaps(_ input: HostTensor) throws -> (affinities: HostTensor, heatmaps: HostTensor) {
        (affinities, heatmaps)
    }
}

/// The number of samples that differ and the largest difference.
func byteDifferences(_ a: [UInt8], _ b: [UInt8]) -> (count: Int, largest: Int) {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) samples")
    var count = 0, largest = 0
    for (x, y) in zip(a, b) where x != y {
        count += 1
        largest = max(largest, abs(Int(x) - Int(y)))
    }
    return (count, largest)
}

/// The script's hand and face stand-ins: a Gaussian per point at a fixed place relative to the input
/// (`blobs` in make_openpose_golden.py), float64 then float32.
struct SyntheticKeypointNetwork: KeypointHeatmapNetwork {
    let points: [[Double]]
    let sigma: Double
    let channels: Int
    let background: Double

    static func fromGolden(_ kind: OpenPoseKeypointNetwork.Kind) -> SyntheticKeypointNetwork {
        let synthetic = PoseGolden.document["synthetic"]!
        func points(_ key: String) -> [[Double]] { synthetic[key]!.arrayValue!.map { PoseGolden.doubles($0)! } }
        switch kind {
        case .hand:
            return SyntheticKeypointNetwork(points: points("hand_points"), sigma: synthetic["hand_sigma"]!.doubleValue!,
                                            channels: 22, background: 0)
        case .face:
            return SyntheticKeypointNetwork(points: points("face_points"), sigma: synthetic["face_sigma"]!.doubleValue!,
                                            channels: 71, background: synthetic["face_background"]!.doubleValue!)
        }
    }

    func heatmaps(_ input: HostTensor) throws -> HostTensor {
        let rows = input.shape[2] / 8, columns = input.shape[3] / 8
        var values = [Float](repeating: Float(background), count: channels * rows * columns)
        for (channel, point) in points.enumerated() {
            for i in 0..<rows {
                for j in 0..<columns {
                    let u = (Double(j) + 0.5) / Double(columns), v = (Double(i) + 0.5) / Double(rows)
                    let d = (u - point[0]) * (u - point[0]) + (v - point[1]) * (v - point[1])
                    values[(channel * rows + i) * columns + j] = Float(exp(-d / (2 * sigma * sigma)))
                }
            }
        }
        return HostTensor(shape: [1, channels, rows, columns], values: values)
    }
}
