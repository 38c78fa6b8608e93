import CLoom
import Foundation
import Loom
import LoomImaging

/// A run's outcome behind a `loom_result` handle: its history entry and the images its output nodes received.
final class ResultHandle: Sendable {
    static let table = HandleTable<ResultHandle>(kind: "loom_result")

    let history: String
    let images: [OutputImage]

    init(outcome: ExecutionOutcome, history: HistoryEntry) {
        self.history = history.json.jsonText(indent: nil)
        var images: [OutputImage] = []
        for node in outcome.inRunOrder(outcome.outputNodeInputs.keys) {
            let inputs = outcome.outputNodeInputs[node] ?? [:]
            for name in inputs.keys.sorted() {
                for value in inputs[name] ?? [] {
                    images += OutputImage.frames(of: value, node: node, input: name)
                }
            }
        }
        self.images = images
    }

    func image(_ index: Int) throws(LoomFailure) -> OutputImage {
        guard images.indices.contains(index) else {
            throw LoomFailure.invalidArgument("image \(index) does not exist; the result has \(images.count)")
        }
        return images[index]
    }
}

/// One frame of an IMAGE or MASK an output node received. Shares the batch's samples with the engine.
struct OutputImage: Sendable {
    enum Samples: Sendable {
        case image(Image)
        case mask(Mask)
    }

    let samples: Samples
    let batchIndex: Int
    let width: Int
    let height: Int
    let channels: Int
    /// C strings for `loom_image_info`, alive as long as the result.
    let nodeID: CString
    let inputName: CString

    static func frames(of value: NodeValue, node: String, input: String) -> [OutputImage] {
        let (id, name) = (CString(node), CString(input))
        if let image = value as? Image {
            return (0..<image.batchCount).map {
                OutputImage(
                    samples: .image(image), batchIndex: $0, width: image.width, height: image.height,
                    channels: image.channels, nodeID: id, inputName: name)
            }
        }
        if let mask = value as? Mask {
            return (0..<mask.batchCount).map {
                OutputImage(
                    samples: .mask(mask), batchIndex: $0, width: mask.width, height: mask.height, channels: 1,
                    nodeID: id, inputName: name)
            }
        }
        return []
    }

    var sampleCount: Int { width * height * channels }

    /// Writes the frame's samples into `buffer` (which has room for `sampleCount`) as floats or as bytes.
    func write(into buffer: UnsafeMutableRawPointer, asBytes: Bool) {
        let start = batchIndex * sampleCount
        let write = { (source: UnsafeBufferPointer<Float>) in
            let frame = UnsafeBufferPointer(rebasing: source[start..<start + sampleCount])
            guard let base = frame.baseAddress, !frame.isEmpty else { return }
            if asBytes {
                let bytes = buffer.bindMemory(to: UInt8.self, capacity: frame.count)
                for (index, sample) in frame.enumerated() { bytes[index] = UInt8(truncatingUnit: sample) }
            } else {
                buffer.copyMemory(from: base, byteCount: frame.count * MemoryLayout<Float>.stride)
            }
        }
        switch samples {
        case .image(let image): image.pixels.withUnsafeBufferPointer(write)
        case .mask(let mask): mask.values.withUnsafeBufferPointer(write)
        }
    }
}

/// A C string owned by Swift, freed with its last reference. `@unchecked`: written once, then only read.
final class CString: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<CChar>?

    init(_ string: String) {
        pointer = strdup(string)
    }

    deinit {
        free(pointer)
    }
}
