import Foundation
import LoomImaging
@testable import LoomModelFiles
@testable import LoomModels
import LoomVulkan
import Testing

/// DWPose's networks from the pack's TorchScript files (tiny stand-ins traced from the same PyTorch modules as the
/// ONNX fixtures): BatchNorm folded at load gives what the ONNX exports compute, and what the pack's goldens hold.
@Suite struct DWPoseTorchScriptTests {
    static func archive(_ name: String) throws -> ModelFile {
        try ModelFile.open(path: PoseGolden.modelsDirectory.appendingPathComponent(name).path)
    }

    static func networks() throws -> (detector: YOLOXNetwork, estimator: RTMPoseNetwork) {
        let context = try ComputeDevice.processDefault.context()
        return (try YOLOXNetwork(torchScript: archive("yolox_l-tiny.torchscript.pt"), context: context),
                try RTMPoseNetwork(torchScript: archive("dw-ll_ucoco_384_bs5-tiny.torchscript.pt"), context: context))
    }

    /// The largest NMSE two device runs of the same network from differently folded weights may show: about 1e-13 on
    /// lavapipe, while folding the estimator's BatchNorm with YOLOX's epsilon (1e-3) instead of mmcv's gives 1e-7.
    static let samePathThreshold = 1e-10

    @Test func detectorMatchesTheONNXExportAndThePack() throws {
        let (input, ratio) = DWPoseDetector.letterbox(try DWPoseTests.person())
        let fromScript = try Self.networks().detector
        let fromONNX = try DWPoseTests.detector().detector!
        #expect(fromScript.classCount == 80)
        let output = try fromScript(input), reference = try fromONNX(input)
        #expect(output.shape == [1, 8400, 85])
        let error = nmse(reference.values, output.values)
        #expect(error <= Self.samePathThreshold, "TorchScript vs ONNX YOLOX NMSE \(error)")
        var rows: [Float] = []
        for anchor in stride(from: 0, to: 8400, by: 120) { rows += output.values[(anchor * 85)..<((anchor + 1) * 85)] }
        let golden = nmse(PoseGolden.floats(DWPoseTests.network, "det.output_rows"), rows)
        #expect(golden <= encoderThreshold, "YOLOX output NMSE against the pack \(golden)")
        let boxes = DWPoseDetector.decodeDetections(output, ratio: ratio)
        #expect(boxes.count == DWPoseTests.boxes().count)
        for (box, expected) in zip(boxes, DWPoseTests.boxes()) {
            #expect(zip(box, expected).allSatisfy { abs($0 - $1) < 0.05 }, "\(box) vs \(expected)")
        }
    }

    @Test func estimatorMatchesTheONNXExportAndThePack() throws {
        let (crop, _, _) = try DWPoseDetector.crop(try DWPoseTests.person(), box: DWPoseTests.boxes()[0], height: 384, width: 288)
        let input = DWPoseDetector.normalised(crop)
        let fromScript = try Self.networks().estimator
        #expect(fromScript.inputSize == (384, 288) && fromScript.keypointCount == 133)
        let (x, y) = try fromScript(input)
        let (referenceX, referenceY) = try DWPoseTests.detector().estimator(input)
        let errors = (nmse(referenceX.values, x.values), nmse(referenceY.values, y.values))
        #expect(errors.0 <= Self.samePathThreshold && errors.1 <= Self.samePathThreshold, "TorchScript vs ONNX SimCC NMSE \(errors)")
        func rows(_ tensor: HostTensor) -> [Float] {
            stride(from: 0, to: 133, by: 19).flatMap { tensor.values[($0 * tensor.shape[1])..<(($0 + 1) * tensor.shape[1])] }
        }
        let golden = (nmse(PoseGolden.floats(DWPoseTests.network, "pose.simcc_x_rows"), rows(x)),
                      nmse(PoseGolden.floats(DWPoseTests.network, "pose.simcc_y_rows"), rows(y)))
        #expect(golden.0 <= encoderThreshold && golden.1 <= encoderThreshold, "SimCC NMSE against the pack \(golden)")
    }

    /// The whole detector from the TorchScript files draws the ONNX files' map and finds the same people.
    @Test func detectionMatchesTheONNXFiles() throws {
        let image = try DWPoseTests.person()
        let (detector, estimator) = try Self.networks()
        let options = PoseDetectionOptions(resolution: 256)
        let fromScript = try DWPoseDetector(detector: detector, estimator: estimator).detect(image, options: options)
        let fromONNX = try DWPoseTests.detector().detect(image, options: options)
        #expect(fromScript.people.count == fromONNX.people.count && !fromScript.people.isEmpty)
        #expect(fromScript.map.height == fromONNX.map.height && fromScript.map.width == fromONNX.map.width)
        // Identical on lavapipe; a device may break a SimCC near tie the other way, the weights' rounding differing by 1e-7.
        let difference = byteDifferences(fromScript.map.samples, fromONNX.map.samples)
        #expect(difference.count * 1000 <= fromONNX.map.samples.count, "map differs from the ONNX files' map: \(difference)")
        let golden = try DWPoseTests.png("dwpose-person.png")
        let meanError = Double(zip(fromScript.map.samples, golden.samples).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }) / Double(golden.samples.count)
        #expect(meanError < 1, "mean error against the pack's map \(meanError)")
    }

    /// BatchNorm folded into the convolution before it: kernel · γ / √(var + ε), bias β − mean · γ / √(var + ε).
    @Test func batchNormIsFoldedWithTheNetworksEpsilon() throws {
        func entry(_ name: String, _ shape: [Int], _ values: [Float]) -> SafetensorsWriting.Entry {
            SafetensorsWriting.Entry(name: name, dataType: .float32, shape: shape, bytes: values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("loom-fold-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try SafetensorsWriting.write([
            entry("block.conv.weight", [2, 1, 1, 1], [2, -3]), entry("block.bn.weight", [2], [0.5, 2]), entry("block.bn.bias", [2], [1, -1]),
            entry("block.bn.running_mean", [2], [4, 0.25]), entry("block.bn.running_var", [2], [3, 0.99]),
        ], to: url)
        let context = try ComputeDevice.processDefault.context()
        let layers = NamedLayers(try ModelFile.open(path: url.path), context: context, architecture: "test", batchNormEpsilon: 0.01,
                                 anchor: "block.conv.weight")
        let folded = try layers.convolutionWithBatchNorm("block", inputs: 1, kernel: 1)
        let (kernel, bias) = (try context.download(folded.weight), try context.download(try #require(folded.bias)))
        let scales = [0.5 / 3.01.squareRoot(), 2 / 1.0]
        let expectedKernel = [2 * scales[0], -3 * scales[1]], expectedBias = [1 - 4 * scales[0], -1 - 0.25 * scales[1]]
        #expect(zip(kernel, expectedKernel).allSatisfy { abs(Double($0) - $1) < 1e-6 }, "\(kernel) vs \(expectedKernel)")
        #expect(zip(bias, expectedBias).allSatisfy { abs(Double($0) - $1) < 1e-6 }, "\(bias) vs \(expectedBias)")
    }

    /// A network traced inside a wrapper module (its weights under `model.`) is found under that prefix.
    @Test func aWrappedNetworkIsFoundUnderItsPrefix() throws {
        let original = try Self.archive("dw-ll_ucoco_384_bs5-tiny.torchscript.pt")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("loom-wrapped-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try SafetensorsWriting.write(SafetensorsWriting.entries(of: original).map { entry in
            var entry = entry
            entry.name = "model." + entry.name
            return entry
        }, to: url)
        let context = try ComputeDevice.processDefault.context()
        let wrapped = try RTMPoseNetwork(torchScript: ModelFile.open(path: url.path), context: context)
        let input = HostTensor(shape: [1, 3, 384, 288], values: (0..<(3 * 384 * 288)).map { Float($0 % 97) / 40 - 1 })
        let (x, _) = try wrapped(input)
        let (referenceX, _) = try Self.networks().estimator(input)
        #expect(x.values == referenceX.values)
    }

    /// A file with other module names (here each network's file given to the other) is refused naming the first
    /// tensor that is missing.
    @Test func otherLayoutsNameTheMissingTensor() throws {
        let context = try ComputeDevice.processDefault.context()
        let asDetector = #expect(throws: ModelLoadingError.self) {
            try YOLOXNetwork(torchScript: Self.archive("dw-ll_ucoco_384_bs5-tiny.torchscript.pt"), context: context)
        }
        #expect("\(asDetector.map { $0 } as Any)".contains("'backbone.backbone.stem.conv.conv.weight'"))
        let asEstimator = #expect(throws: ModelLoadingError.self) {
            try RTMPoseNetwork(torchScript: Self.archive("yolox_l-tiny.torchscript.pt"), context: context)
        }
        #expect("\(asEstimator.map { $0 } as Any)".contains("'backbone.stem.0.conv.weight'"))
    }
}
