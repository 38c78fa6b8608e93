import ArgumentParser
import Foundation
import Loom
import LoomImaging
import LoomModelFiles
import LoomModels
import LoomVulkan

/// `loom bench pose`: comfyui_controlnet_aux's OpenPose body detection, stage by stage, on one image: resizing to
/// the detection resolution, the network's input, the network, bringing its maps back to the image, decoding and
/// drawing. By default the network has the real body model's shapes with random f16 weights (it finds nobody,
/// which leaves the decoding cheap); `--body` times a real `body_pose_model.pth`. With `--dwpose-detector` and
/// `--dwpose-estimator` (DWPose's `yolox_l.onnx` and `dw-ll_ucoco_384.onnx`) DWPreprocessor's stages are timed too.
struct BenchPoseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pose", abstract: "Time the OpenPose annotator's stages.")

    @Option(help: "A body_pose_model.pth; without it, the real shapes with random weights.")
    var body: String?

    @Option(help: "The image's width and height.")
    var size: [Int] = [1024, 768]

    @Option(help: "The detection resolution (OpenposePreprocessor's `resolution`).")
    var resolution = 512

    @Option(help: "Timed runs after one warm-up; the mean is reported.")
    var repetitions = 2

    @Option(help: "DWPose's yolox_l.onnx, to time DWPreprocessor (with --dwpose-estimator).")
    var dwposeDetector: String?

    @Option(help: "DWPose's dw-ll_ucoco_384.onnx, to time DWPreprocessor (with --dwpose-detector).")
    var dwposeEstimator: String?

    /// lllyasviel's body_pose_model.pth: VGG-19 front, two-branch stages of width 128, six stages.
    static func bodyTensors() -> [(name: String, shape: [Int])] {
        var tensors: [(name: String, shape: [Int])] = []
        func convolution(_ name: String, _ inputs: Int, _ outputs: Int, _ kernel: Int) {
            tensors += [(name + ".weight", [outputs, inputs, kernel, kernel]), (name + ".bias", [outputs])]
        }
        for (name, inputs, outputs) in [("conv1_1", 3, 64), ("conv1_2", 64, 64), ("conv2_1", 64, 128), ("conv2_2", 128, 128),
                                        ("conv3_1", 128, 256), ("conv3_2", 256, 256), ("conv3_3", 256, 256), ("conv3_4", 256, 256),
                                        ("conv4_1", 256, 512), ("conv4_2", 512, 512), ("conv4_3_CPM", 512, 256), ("conv4_4_CPM", 256, 128)] {
            convolution(name, inputs, outputs, 3)
        }
        for (branch, outputs) in [("L1", 38), ("L2", 19)] {
            for i in 1...3 { convolution("conv5_\(i)_CPM_\(branch)", 128, 128, 3) }
            convolution("conv5_4_CPM_\(branch)", 128, 512, 1)
            convolution("conv5_5_CPM_\(branch)", 512, outputs, 1)
            for stage in 2...6 {
                convolution("Mconv1_stage\(stage)_\(branch)", 185, 128, 7)
                for i in 2...5 { convolution("Mconv\(i)_stage\(stage)_\(branch)", 128, 128, 7) }
                convolution("Mconv6_stage\(stage)_\(branch)", 128, 128, 1)
                convolution("Mconv7_stage\(stage)_\(branch)", 128, outputs, 1)
            }
        }
        return tensors
    }

    /// Records the network's share of `BodyPoseEstimator.maps`.
    final class TimedNetwork: BodyPoseNetwork, @unchecked Sendable {
        let network: OpenPoseBodyNetwork
        var seconds = 0.0

        init(_ network: OpenPoseBodyNetwork) { self.network = network }

        func affinitiesAndHeatmaps(_ input: HostTensor) throws -> (affinities: HostTensor, heatmaps: HostTensor) {
            let start = ContinuousClock.now
            defer { seconds += (ContinuousClock.now - start).microseconds / 1e6 }
            return try network.affinitiesAndHeatmaps(input)
        }
    }

    func run() async throws {
        guard size.count == 2, size.allSatisfy({ $0 > 0 }) else { throw ValidationError("--size takes a width and a height") }
        let path: String
        var temporary: URL?
        if let body {
            path = body
        } else {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("loom-bench-pose-body.safetensors")
            try SyntheticWeights.write(Self.bodyTensors(), to: url)
            temporary = url
            path = url.path
        }
        defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }
        let context = try ComputeDevice.processDefault.context()
        let network = TimedNetwork(try OpenPoseBodyNetwork(weights: ModelWeights(file: ModelFile.open(path: path), context: context)))
        let estimator = BodyPoseEstimator(network: network)
        var random = SystemRandomNumberGenerator.Seeded(seed: 5)
        let (width, height) = (size[0], size[1])
        let image = ByteImage(height: height, width: width, channels: 3,
                              samples: (0..<(width * height * 3)).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        print("device: \(context.device.info.name); body network: \(network.network.stageCount) stages; image \(width)×\(height), resolution \(resolution)")
        let clock = ContinuousClock()
        var totals = [Double](repeating: 0, count: 6)
        for run in 0...repetitions {
            var times: [Double] = []
            var padded = image, detectionSize = (0, 0)
            times.append(try clock.measure {
                let resized = try OpenPoseDetector.resizedWithPad(image, resolution: resolution)
                padded = resized.image.reversingChannels()
                detectionSize = (resized.height, resized.width)
            }.microseconds / 1e6)
            times.append(try clock.measure { _ = try estimator.networkInput(for: padded) }.microseconds / 1e6)
            network.seconds = 0
            var maps: (affinities: [[Double]], heatmaps: [[Double]]) = ([], [])
            let mapping = try clock.measure { maps = try estimator.maps(for: padded) }.microseconds / 1e6
            times += [network.seconds, mapping - network.seconds - times[1]]
            var people: [BodyPose] = []
            times.append(clock.measure {
                people = BodyPoseDecoder.decode(heatmaps: maps.heatmaps, affinities: maps.affinities, height: padded.height, width: padded.width)
            }.microseconds / 1e6)
            let persons = people.map { PersonPose(body: $0) }
            times.append(clock.measure {
                _ = OpenPoseDrawing.draw(persons, height: padded.height, width: padded.width).cropped(height: detectionSize.0, width: detectionSize.1)
            }.microseconds / 1e6)
            if run > 0 { totals = zip(totals, times).map { $0 + $1 } }
        }
        let names = ["resize + pad", "network input", "network", "maps to image", "decode", "draw"]
        for (name, total) in zip(names + ["total"], totals + [totals.reduce(0, +)]) {
            print(name.padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "%8.3f s", total / Double(max(repetitions, 1))))
        }
        if let dwposeDetector, let dwposeEstimator {
            try benchDWPose(image: image, detector: dwposeDetector, estimator: dwposeEstimator, context: context)
        }
    }

    /// DWPreprocessor's stages on the same image: letterbox, YOLOX, box decoding, per box the crop, RTMPose and
    /// SimCC decoding, then drawing and resizing the map.
    func benchDWPose(image: ByteImage, detector: String, estimator: String, context: VulkanContext) throws {
        let dwpose = DWPoseDetector(detector: try YOLOXNetwork(model: ONNXModel.open(path: detector), context: context),
                                    estimator: try RTMPoseNetwork(model: ONNXModel.open(path: estimator), context: context))
        let clock = ContinuousClock()
        var totals = [Double](repeating: 0, count: 6)
        var boxCount = 0
        for run in 0...repetitions {
            var times: [Double] = []
            var input = HostTensor(zeros: [1]), ratio = 1.0, output = HostTensor(zeros: [1]), boxes: [[Double]] = []
            times.append(clock.measure { (input, ratio) = DWPoseDetector.letterbox(image) }.microseconds / 1e6)
            times.append(try clock.measure { output = try dwpose.detector!(input) }.microseconds / 1e6)
            times.append(clock.measure { boxes = DWPoseDetector.decodeDetections(output, ratio: ratio) }.microseconds / 1e6)
            // Random weights may find nobody; the whole image then stands in as one box, as with bbox_detector None.
            if boxes.isEmpty { boxes = [[0, 0, Double(image.width), Double(image.height)]] }
            boxCount = boxes.count
            var crops: [(ByteImage, (Double, Double), (Double, Double))] = []
            let (height, width) = dwpose.estimator.inputSize
            times.append(try clock.measure { crops = try boxes.map { try DWPoseDetector.crop(image, box: $0, height: height, width: width) } }.microseconds / 1e6)
            var people: [PersonPose] = []
            times.append(try clock.measure {
                people = try crops.map { crop, center, scale in
                    let (x, y) = try dwpose.estimator(DWPoseDetector.normalised(crop))
                    return DWPoseDetector.person(DWPoseDetector.decode(simccX: x, simccY: y, center: center, scale: scale, height: height, width: width))
                }
            }.microseconds / 1e6)
            times.append(try clock.measure {
                let canvas = OpenPoseDrawing.draw(people, height: image.height, width: image.width, style: .keypoints)
                _ = try OpenPoseDetector.resizedWithPad(canvas, resolution: resolution)
            }.microseconds / 1e6)
            if run > 0 { totals = zip(totals, times).map { $0 + $1 } }
        }
        print("DWPose: \(boxCount) boxes")
        let names = ["letterbox", "YOLOX", "boxes", "crops", "RTMPose", "draw + resize"]
        for (name, total) in zip(names + ["total"], totals + [totals.reduce(0, +)]) {
            print(name.padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "%8.3f s", total / Double(max(repetitions, 1))))
        }
    }
}
