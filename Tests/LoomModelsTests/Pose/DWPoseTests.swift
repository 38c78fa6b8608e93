import Foundation
import LoomGraph
import LoomImaging
@testable import LoomModelFiles
@testable import LoomModels
import LoomVulkan
import Testing

/// DWPose against comfyui_controlnet_aux's own code (make_dwpose_fixtures.py): OpenCV's bilinear resize and warp,
/// the tiny YOLOX and RTMPose ONNX models, and the whole detector on graphs/input/person.png.
@Suite struct DWPoseTests {
    static let directory = PoseGolden.directory.deletingLastPathComponent().appendingPathComponent("dwpose")
    static let network = file("network.safetensors")
    static let opencv = file("opencv.safetensors")
    static let record: JSONValue = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("dwpose.json"))
        return try! JSONValue(parsing: [UInt8](data))
    }()

    static func file(_ name: String) -> ModelFile {
        do { return try ModelFile.open(path: directory.appendingPathComponent(name).path) } catch { fatalError("\(error)") }
    }

    static func model(_ name: String) throws -> ONNXModel {
        try ONNXModel.open(path: PoseGolden.modelsDirectory.appendingPathComponent(name).path)
    }

    static func detector() throws -> DWPoseDetector {
        let context = try ComputeDevice.processDefault.context()
        return DWPoseDetector(detector: try YOLOXNetwork(model: model("yolox_l-tiny.onnx"), context: context),
                              estimator: try RTMPoseNetwork(model: model("dw-ll_ucoco_384-tiny.onnx"), context: context))
    }

    static func person() throws -> ByteImage {
        let path = PoseGolden.directory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("graphs/input/person.png").path
        let raster = try RasterImage(decodingPNG: [UInt8](Data(contentsOf: URL(fileURLWithPath: path))))
        return ByteImage(frame: 0, of: Image(rgbOf: raster))
    }

    static func png(_ name: String) throws -> ByteImage {
        let raster = try RasterImage(decodingPNG: [UInt8](Data(contentsOf: directory.appendingPathComponent(name))))
        return ByteImage(height: raster.height, width: raster.width, channels: raster.channels, samples: raster.samples.map { UInt8($0) })
    }

    static func boxes() -> [[Double]] { record["boxes"]!.arrayValue!.map { PoseGolden.doubles($0)! } }

    @Test func linearResizeMatchesOpenCV() {
        let source = PoseGolden.image(Self.opencv, "resize.source")
        for name in ["resize.linear_up", "resize.linear_down"] {
            let expected = PoseGolden.image(Self.opencv, name)
            let resized = OpenCVLinear.resize(source, height: expected.height, width: expected.width)
            #expect(byteDifferences(resized.samples, expected.samples).count == 0, "\(name)")
        }
    }

    @Test func warpMatchesOpenCV() throws {
        let source = PoseGolden.image(Self.opencv, "resize.source")
        for (index, entry) in Self.record["warp"]!.arrayValue!.enumerated() {
            let center = PoseGolden.doubles(entry["center"])!, scale = PoseGolden.doubles(entry["scale"])!
            let fixed = DWPoseDetector.fixedAspect((scale[0], scale[1]), width: 24, height: 32)
            let matrix = DWPoseDetector.warpMatrix(center: (center[0], center[1]), scale: fixed, width: 24, height: 32)
            let expectedMatrix = entry["matrix"]!.arrayValue!.flatMap { PoseGolden.doubles($0)! }
            #expect(zip(matrix, expectedMatrix).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) }, "\(matrix) vs \(expectedMatrix)")
            let warped = OpenCVLinear.warpAffine(source, matrix: expectedMatrix, height: 32, width: 24)
            let difference = byteDifferences(warped.samples, PoseGolden.image(Self.opencv, "warp.\(index)").samples)
            // OpenCV 5's SIMD warp rounds a rare half-way sample the other way.
            #expect(difference.count * 100 <= warped.samples.count && difference.largest <= 1, "warp \(index): \(difference)")
        }
    }

    @Test func detectorMatchesThePack() throws {
        let image = try Self.person()
        let (input, ratio) = DWPoseDetector.letterbox(image)
        #expect(ratio == 4)
        #expect(Double(input.values.reduce(0) { $0 + Double($1) }) == PoseGolden.doubles(Self.network, "det.input_sum")[0])
        let sampled = PoseGolden.bytes(Self.network, "det.input_sampled")
        var ours: [UInt8] = []
        for c in 0..<3 { for y in stride(from: 0, to: 640, by: 8) { for x in stride(from: 0, to: 640, by: 8) { ours.append(UInt8(input.values[(c * 640 + y) * 640 + x])) } } }
        #expect(byteDifferences(ours, sampled).count == 0)

        let detector = try Self.detector()
        let output = try detector.detector!(input)
        #expect(output.shape == [1, 8400, 85])
        let expected = PoseGolden.tensor(Self.network, "det.output_rows")
        var rows: [Float] = []
        for anchor in stride(from: 0, to: 8400, by: 120) { rows += output.values[(anchor * 85)..<((anchor + 1) * 85)] }
        let error = nmse(expected.values, rows)
        #expect(error <= encoderThreshold, "YOLOX output NMSE \(error)")

        let boxes = DWPoseDetector.decodeDetections(output, ratio: ratio)
        let expectedBoxes = Self.boxes()
        #expect(boxes.count == expectedBoxes.count)
        for (box, reference) in zip(boxes, expectedBoxes) {
            #expect(zip(box, reference).allSatisfy { abs($0 - $1) < 0.05 }, "\(box) vs \(reference)")
        }
    }

    @Test func poseEstimatorMatchesThePack() throws {
        let image = try Self.person()
        let detector = try Self.detector()
        let box = Self.boxes()[0]
        let (crop, center, scale) = try DWPoseDetector.crop(image, box: box, height: 384, width: 288)
        let expectedCenter = PoseGolden.doubles(Self.record["centers"]!.arrayValue![0])!
        let expectedScale = PoseGolden.doubles(Self.record["scales"]!.arrayValue![0])!
        #expect([center.0, center.1] == expectedCenter && [scale.0, scale.1] == expectedScale)
        var sampled: [UInt8] = []
        for y in stride(from: 0, to: 384, by: 4) { for x in stride(from: 0, to: 288, by: 4) { for c in 0..<3 { sampled.append(crop[y, x, c]) } } }
        let difference = byteDifferences(sampled, PoseGolden.bytes(Self.network, "pose.crop_sampled"))
        #expect(difference.count * 100 <= sampled.count && difference.largest <= 1, "\(difference)")
        let sum = crop.samples.reduce(0) { $0 + Double($1) }
        #expect(abs(sum - PoseGolden.doubles(Self.network, "pose.crop_sum")[0]) <= 4)

        #expect(detector.estimator.inputSize == (384, 288) && detector.estimator.keypointCount == 133)
        let (x, y) = try detector.estimator(DWPoseDetector.normalised(crop))
        #expect(x.shape == [133, 576] && y.shape == [133, 768])
        func rows(_ tensor: HostTensor) -> [Float] {
            stride(from: 0, to: 133, by: 19).flatMap { tensor.values[($0 * tensor.shape[1])..<(($0 + 1) * tensor.shape[1])] }
        }
        let errorX = nmse(PoseGolden.floats(Self.network, "pose.simcc_x_rows"), rows(x))
        let errorY = nmse(PoseGolden.floats(Self.network, "pose.simcc_y_rows"), rows(y))
        #expect(errorX <= encoderThreshold && errorY <= encoderThreshold, "SimCC NMSE \(errorX), \(errorY)")

        // Every box's 133 points: the pack's argmax positions (a near tie may go the other way) and scores.
        let keypoints = Self.record["keypoints"]!.arrayValue!, scores = Self.record["scores"]!.arrayValue!
        var same = 0, total = 0
        for (index, box) in Self.boxes().enumerated() {
            let whole = try detector.wholeBody(in: image, box: box)
            let expectedPoints = keypoints[index].arrayValue!.map { PoseGolden.doubles($0)! }
            let expectedScores = PoseGolden.doubles(scores[index])!
            for k in 0..<133 {
                total += 1
                if abs(whole.points[k].x - expectedPoints[k][0]) < 1e-6 && abs(whole.points[k].y - expectedPoints[k][1]) < 1e-6 { same += 1 }
                #expect(abs(Double(whole.scores[k]) - expectedScores[k]) < 2e-3, "box \(index) point \(k)")
            }
        }
        #expect(Double(same) >= 0.99 * Double(total), "\(same) of \(total) points at the pack's positions")
    }

    /// The whole detector on person.png: POSE_KEYPOINT and the pose map as the pack makes them.
    @Test func detectionMatchesThePack() throws {
        let image = try Self.person()
        let detector = try Self.detector()
        let detection = try detector.detect(image, options: .init(resolution: 256))
        let expected = Self.record["pose"]!
        #expect(detection.canvasHeight == expected["canvas_height"]!.intValue && detection.canvasWidth == expected["canvas_width"]!.intValue)
        let people = expected["people"]!.arrayValue!
        #expect(detection.people.count == people.count)
        var same = 0, total = 0
        for (person, reference) in zip(detection.people, people) {
            for (part, key) in [(person.body.keypoints, "pose_keypoints_2d"), (person.face, "face_keypoints_2d"),
                                (person.leftHand, "hand_left_keypoints_2d"), (person.rightHand, "hand_right_keypoints_2d")] {
                let numbers = PoseGolden.doubles(reference[key]) ?? []
                #expect((part?.count ?? 0) * 3 == numbers.count, "\(key)")
                for (index, point) in (part ?? []).enumerated() where 3 * index + 2 < numbers.count {
                    total += 1
                    let (x, y, c) = (numbers[3 * index], numbers[3 * index + 1], numbers[3 * index + 2])
                    // Boxes from the device's float32 arithmetic move the points by far less than 0.05 pixel; a SimCC
                    // maximum at a near tie moves one by at least half a bin.
                    if let point, c == 1, abs(point.x - x) < 0.05, abs(point.y - y) < 0.05 { same += 1 } else if point == nil, c == 0 { same += 1 }
                }
            }
        }
        #expect(Double(same) >= 0.99 * Double(total), "\(same) of \(total) points as the pack has them")
        let map = try Self.png("dwpose-person.png")
        #expect(detection.map.height == map.height && detection.map.width == map.width)
        let difference = byteDifferences(detection.map.samples, map.samples)
        let meanError = Double(zip(detection.map.samples, map.samples).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }) / Double(map.samples.count)
        // Identical on lavapipe; a device's float32 rounding may move a point by a SimCC bin, hence the margins.
        #expect(meanError < 1 && difference.count * 1000 <= map.samples.count, "map: \(difference), mean error \(meanError)")

        let body = try detector.detect(image, options: .init(resolution: 384, hands: false, face: false, scaleSticksForXinsir: true))
        let bodyMap = try Self.png("dwpose-person-body.png")
        #expect(body.map.height == bodyMap.height && body.map.width == bodyMap.width)
        let bodyError = Double(zip(body.map.samples, bodyMap.samples).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }) / Double(bodyMap.samples.count)
        let bodyDifference = byteDifferences(body.map.samples, bodyMap.samples)
        #expect(bodyError < 1 && bodyDifference.count * 1000 <= bodyMap.samples.count, "body map: \(bodyDifference), mean error \(bodyError)")
        #expect(body.people.allSatisfy { $0.leftHand == nil && $0.rightHand == nil && $0.face == nil })
    }

    /// An output with no confident anchor gives no boxes (and the detector then reports nobody).
    @Test func quietOutputGivesNoBoxes() throws {
        let boxes = DWPoseDetector.decodeDetections(HostTensor(zeros: [1, 8400, 85]), ratio: 1)
        #expect(boxes.isEmpty)
    }

    @Test func filesOfTheOtherArchitectureAreRefused() throws {
        let context = try ComputeDevice.processDefault.context()
        #expect(throws: ModelLoadingError.self) { try YOLOXNetwork(model: Self.model("dw-ll_ucoco_384-tiny.onnx"), context: context) }
        #expect(throws: ModelLoadingError.self) { try RTMPoseNetwork(model: Self.model("yolox_l-tiny.onnx"), context: context) }
    }

    /// The same graph with some nodes replaced, as another exporter might write it.
    static func edited(_ model: ONNXModel, _ edit: (inout [ONNXModel.Node], [Int]) -> Void) -> ONNXModel {
        var nodes = model.nodes
        edit(&nodes, nodes.indices.filter { nodes[$0].opType == "Conv" })
        return ONNXModel(path: model.path, opsetVersion: model.opsetVersion, producer: model.producer, nodes: nodes,
                         inputs: model.inputs, outputs: model.outputs, weights: model.weights)
    }

    static func rewired(_ node: ONNXModel.Node, input: String) -> ONNXModel.Node {
        ONNXModel.Node(opType: node.opType, domain: node.domain, name: node.name, inputs: [input] + node.inputs.dropFirst(),
                       outputs: node.outputs, attributes: node.attributes)
    }

    /// Node order alone does not tell a CSP layer's branches apart: an export that ran main_conv before short_conv
    /// gives the same network, and a YOLOX head whose class predictions read the regression branch is refused.
    @Test func dataflowDecidesWhatOrderCannot() throws {
        let context = try ComputeDevice.processDefault.context()
        let rtmpose = try Self.model("dw-ll_ucoco_384-tiny.onnx")
        // Stage 1's CSP layer: convolutions 4 (short_conv) and 5 (main_conv) after the stem and the downsampling.
        let reordered = Self.edited(rtmpose) { nodes, convolutions in nodes.swapAt(convolutions[4], convolutions[5]) }
        let crop = try DWPoseDetector.crop(Self.person(), box: Self.boxes()[0], height: 384, width: 288).0
        let input = DWPoseDetector.normalised(crop)
        let original = try RTMPoseNetwork(model: rtmpose, context: context)(input)
        let swapped = try RTMPoseNetwork(model: reordered, context: context)(input)
        #expect(original.x == swapped.x && original.y == swapped.y)

        let yolox = try Self.model("yolox_l-tiny.onnx")
        let crossed = Self.edited(yolox) { nodes, convolutions in
            // Level 0 of the head: stem, cls_convs ×2, cls_preds, reg_convs ×2, reg_preds, obj_preds (the last 24).
            let head = convolutions.count - 24
            let (classes, regression) = (convolutions[head + 3], convolutions[head + 6])
            let (classInput, regressionInput) = (nodes[classes].inputs[0], nodes[regression].inputs[0])
            nodes[classes] = Self.rewired(nodes[classes], input: regressionInput)
            nodes[regression] = Self.rewired(nodes[regression], input: classInput)
        }
        let error = #expect(throws: ModelLoadingError.self) { try YOLOXNetwork(model: crossed, context: context) }
        #expect("\(error.map { $0 } as Any)".contains("does not read"))
    }
}
