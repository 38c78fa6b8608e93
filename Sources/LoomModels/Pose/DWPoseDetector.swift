import Foundation
import LoomImaging

/// comfyui_controlnet_aux's `DwposeDetector` with its ONNX or TorchScript models: YOLOX finds people (boxes in the image),
/// RTMPose finds 133 whole-body points in each box (SimCC), the points are mapped to OpenPose's body order with
/// a neck between the shoulders, and everything is drawn at the image's own size (pixel coordinates) before the
/// map is resized so its short side is the resolution. The networks run on the device; the rest is the pack's
/// NumPy and OpenCV arithmetic on the CPU, in the same precisions.
public struct DWPoseDetector: Sendable {
    /// The map at the resolution and the people (points in the image's pixels, all parts, for the caller to
    /// filter) with the size they refer to, which is POSE_KEYPOINT's canvas size.
    public struct Detection: Sendable, Equatable {
        public var map: ByteImage
        public var people: [PersonPose]
        public var canvasHeight: Int
        public var canvasWidth: Int
    }

    /// One box's 133 points (x, y in pixels) and scores.
    public struct WholeBody: Sendable, Equatable {
        public var points: [(x: Double, y: Double)]
        public var scores: [Float]

        public static func == (a: WholeBody, b: WholeBody) -> Bool {
            a.scores == b.scores && a.points.elementsEqual(b.points) { $0.x == $1.x && $0.y == $1.y }
        }
    }

    static let nmsThreshold: Float = 0.45
    static let candidateThreshold: Float = 0.1
    static let boxThreshold = 0.3
    static let keypointThreshold = 0.3
    static let mean = [123.675, 116.28, 103.53]
    static let standardDeviation = [58.395, 57.12, 57.375]

    /// nil: the pack's `bbox_detector: None`, the whole image as one box.
    public let detector: YOLOXNetwork?
    public let estimator: RTMPoseNetwork

    public init(detector: YOLOXNetwork?, estimator: RTMPoseNetwork) {
        self.detector = detector
        self.estimator = estimator
    }

    /// `image` is RGB as the pack receives it (grey and RGBA are converted as HWC3 does).
    public func detect(_ image: ByteImage, options: PoseDetectionOptions) throws -> Detection {
        let image = OpenPoseDetector.threeChannels(image)
        guard image.height > 0, image.width > 0 else { throw PoseEstimationError.invalidInput("the image is empty") }
        var people: [PersonPose] = []
        let boxes = try detector.map { try self.boxes(in: image, detector: $0) } ?? []
        if detector == nil || !boxes.isEmpty {
            let bodies = try boxes.isEmpty ? [wholeBody(in: image, box: [0, 0, Double(image.width), Double(image.height)])]
                : boxes.map { try wholeBody(in: image, box: $0) }
            people = bodies.map(Self.person)
        }
        let canvas = OpenPoseDrawing.draw(people, height: image.height, width: image.width, body: options.body, hands: options.hands,
                                          face: options.face, scaleSticksForXinsir: options.scaleSticksForXinsir, style: .keypoints)
        let resized = try OpenPoseDetector.resizedWithPad(canvas, resolution: options.resolution)
        let filtered = people.map { person in
            PersonPose(body: options.body ? person.body : BodyPose(keypoints: Array(repeating: nil, count: BodyPose.partCount), totalScore: 0, totalParts: 0),
                       leftHand: options.hands ? person.leftHand : nil, rightHand: options.hands ? person.rightHand : nil,
                       face: options.face ? person.face : nil)
        }
        return Detection(map: resized.image.cropped(height: resized.height, width: resized.width), people: filtered,
                         canvasHeight: image.height, canvasWidth: image.width)
    }

    // MARK: Detection (cv_ox_det.py)

    /// `inference_detector`: the people's boxes [x0, y0, x1, y1] in the image's pixels.
    public func boxes(in image: ByteImage, detector: YOLOXNetwork) throws -> [[Double]] {
        let (input, ratio) = Self.letterbox(image)
        return Self.decodeDetections(try detector(input), ratio: ratio)
    }

    /// `preprocess`: the image scaled by r = min(640/H, 640/W) (INTER_LINEAR) into the top left of a 640 × 640
    /// canvas of 114, as floats [1, 3, 640, 640].
    public static func letterbox(_ image: ByteImage) -> (HostTensor, Double) {
        let size = YOLOXNetwork.inputSize
        let ratio = min(Double(size) / Double(image.height), Double(size) / Double(image.width))
        let height = Int(Double(image.height) * ratio), width = Int(Double(image.width) * ratio)
        let resized = OpenCVLinear.resize(image, height: height, width: width)
        var values = [Float](repeating: 114, count: 3 * size * size)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 { values[(c * size + y) * size + x] = Float(resized.samples[(y * width + x) * 3 + c]) }
            }
        }
        return (HostTensor(shape: [1, 3, size, size], values: values), ratio)
    }

    /// `demo_postprocess` + `multiclass_nms` + the pack's filters, for class 0 (person): anchors decoded on the
    /// 8/16/32 grids, scored objectness × class, NMS at IoU 0.45 over candidates above 0.1, kept above 0.3.
    public static func decodeDetections(_ output: HostTensor, ratio: Double) -> [[Double]] {
        let width = output.shape[2]
        var boxes: [[Float]] = [], scores: [Float] = []
        var anchor = 0
        for stride in YOLOXNetwork.strides {
            let cells = YOLOXNetwork.inputSize / stride
            for y in 0..<cells {
                for x in 0..<cells {
                    guard anchor < output.shape[1] else { break }
                    let row = Array(output.values[(anchor * width)..<((anchor + 1) * width)])
                    anchor += 1
                    let score = row[4] * row[5]
                    guard score > candidateThreshold else { continue }
                    let cx = Float((Double(row[0]) + Double(x)) * Double(stride)), cy = Float((Double(row[1]) + Double(y)) * Double(stride))
                    let w = Float(Double(expf(row[2])) * Double(stride)), h = Float(Double(expf(row[3])) * Double(stride))
                    let r = Float(ratio)
                    boxes.append([(cx - w / 2) / r, (cy - h / 2) / r, (cx + w / 2) / r, (cy + h / 2) / r])
                    scores.append(score)
                }
            }
        }
        return nonMaximumSuppression(boxes, scores: scores).filter { Double(scores[$0]) > boxThreshold }.map { boxes[$0].map(Double.init) }
    }

    /// `nms`: indices kept, best first. NumPy's argsort is not stable; equal scores keep the later box first, as
    /// reversing an ascending stable sort does.
    static func nonMaximumSuppression(_ boxes: [[Float]], scores: [Float]) -> [Int] {
        let areas = boxes.map { ($0[2] - $0[0] + 1) * ($0[3] - $0[1] + 1) }
        var order = Array(scores.indices.sorted { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }.reversed())
        var keep: [Int] = []
        while let i = order.first {
            keep.append(i)
            order = order.dropFirst().filter { j in
                let w = max(0, min(boxes[i][2], boxes[j][2]) - max(boxes[i][0], boxes[j][0]) + 1)
                let h = max(0, min(boxes[i][3], boxes[j][3]) - max(boxes[i][1], boxes[j][1]) + 1)
                let intersection = w * h
                return intersection / (areas[i] + areas[j] - intersection) <= nmsThreshold
            }
        }
        return keep
    }

    // MARK: Pose (cv_ox_pose.py)

    /// `inference_pose` for one box: the crop, the network, SimCC decoding, back to image pixels.
    public func wholeBody(in image: ByteImage, box: [Double]) throws -> WholeBody {
        let (height, width) = estimator.inputSize
        let (crop, center, scale) = try Self.crop(image, box: box, height: height, width: width)
        let (simccX, simccY) = try estimator(Self.normalised(crop))
        return Self.decode(simccX: simccX, simccY: simccY, center: center, scale: scale, height: height, width: width)
    }

    /// `bbox_xyxy2cs` (padding 1.25), `_fix_aspect_ratio` and `top_down_affine`: the box's region warped to the
    /// network's input size; returns the crop, the centre and the adjusted scale.
    public static func crop(_ image: ByteImage, box: [Double], height: Int, width: Int) throws -> (ByteImage, (Double, Double), (Double, Double)) {
        guard box.count == 4, box.allSatisfy({ $0.isFinite && abs($0) < 1e9 }) else {
            throw PoseEstimationError.invalidInput("a detection box \(box) is not finite")
        }
        let center = ((box[0] + box[2]) * 0.5, (box[1] + box[3]) * 0.5)
        let scale = fixedAspect(((box[2] - box[0]) * 1.25, (box[3] - box[1]) * 1.25), width: width, height: height)
        let matrix = warpMatrix(center: center, scale: scale, width: width, height: height)
        return (OpenCVLinear.warpAffine(image, matrix: matrix, height: height, width: width), center, scale)
    }

    /// `_fix_aspect_ratio`: the box widened or heightened to the input's aspect ratio.
    public static func fixedAspect(_ scale: (Double, Double), width: Int, height: Int) -> (Double, Double) {
        let aspect = Double(width) / Double(height)
        return scale.0 > scale.1 * aspect ? (scale.0, scale.0 / aspect) : (scale.1 * aspect, scale.1)
    }

    /// `get_warp_matrix` (no rotation, no shift): three float32 point pairs solved as cv2.getAffineTransform does.
    public static func warpMatrix(center: (Double, Double), scale: (Double, Double), width: Int, height: Int) -> [Double] {
        let c = (Float(center.0), Float(center.1))
        // _rotate_point by 0 rad: [cos·0 − sin·(−w/2), sin·0 + cos·(−w/2)], added to the float64 centre.
        let direction = (0.0, scale.0 * -0.5)
        let source1 = (Float(center.0 + direction.0), Float(center.1 + direction.1))
        let source2 = thirdPoint(c, source1)
        let d0 = (Float(Double(width) * 0.5), Float(Double(height) * 0.5))
        let d1 = (Float(Double(width) * 0.5 + 0), Float(Double(height) * 0.5 + Double(width) * -0.5))
        let d2 = thirdPoint(d0, d1)
        return affineTransform(from: [c, source1, source2], to: [d0, d1, d2])
    }

    /// `_get_3rd_point`: b + (a − b) turned 90° anticlockwise, in float32.
    static func thirdPoint(_ a: (Float, Float), _ b: (Float, Float)) -> (Float, Float) {
        let direction = (a.0 - b.0, a.1 - b.1)
        return (b.0 + -direction.1, b.1 + direction.0)
    }

    /// `cv2.getAffineTransform`: the 6 × 6 system solved by Gaussian elimination with partial pivoting in double.
    static func affineTransform(from source: [(Float, Float)], to destination: [(Float, Float)]) -> [Double] {
        var a = [[Double]](repeating: [Double](repeating: 0, count: 6), count: 6)
        var b = [Double](repeating: 0, count: 6)
        for i in 0..<3 {
            a[2 * i] = [Double(source[i].0), Double(source[i].1), 1, 0, 0, 0]
            a[2 * i + 1] = [0, 0, 0, Double(source[i].0), Double(source[i].1), 1]
            b[2 * i] = Double(destination[i].0)
            b[2 * i + 1] = Double(destination[i].1)
        }
        for i in 0..<6 {
            var pivot = i
            for j in (i + 1)..<6 where abs(a[j][i]) > abs(a[pivot][i]) { pivot = j }
            guard a[pivot][i] != 0 else { return [0, 0, 0, 0, 0, 0] }
            if pivot != i {
                a.swapAt(pivot, i)
                b.swapAt(pivot, i)
            }
            let d = -1 / a[i][i]
            for j in (i + 1)..<6 {
                let alpha = a[j][i] * d
                for k in (i + 1)..<6 { a[j][k] += alpha * a[i][k] }
                b[j] += alpha * b[i]
            }
        }
        for i in stride(from: 5, through: 0, by: -1) {
            var s = b[i]
            for k in (i + 1)..<6 { s -= a[i][k] * b[k] }
            b[i] = s / a[i][i]
        }
        return b
    }

    /// `(crop − mean) / std` in float64, then float32, as [1, 3, H, W].
    public static func normalised(_ crop: ByteImage) -> HostTensor {
        let plane = crop.height * crop.width
        var values = [Float](repeating: 0, count: 3 * plane)
        for pixel in 0..<plane {
            for c in 0..<3 {
                values[c * plane + pixel] = Float((Double(crop.samples[pixel * 3 + c]) - mean[c]) / standardDeviation[c])
            }
        }
        return HostTensor(shape: [1, 3, crop.height, crop.width], values: values)
    }

    /// `get_simcc_maximum` + `decode` + the rescaling in `postprocess`: each point at its SimCC maxima (first on
    /// ties) halved, scored by the smaller maximum, −1 where that is not positive, then from crop to image pixels.
    public static func decode(simccX: HostTensor, simccY: HostTensor, center: (Double, Double), scale: (Double, Double),
                              height: Int, width: Int) -> WholeBody {
        let count = simccX.shape[0], widthX = simccX.shape[1], widthY = simccY.shape[1]
        var points: [(x: Double, y: Double)] = [], scores: [Float] = []
        for k in 0..<count {
            func maximum(_ values: ArraySlice<Float>) -> (Int, Float) {
                var best = values.startIndex
                for index in values.indices where values[index] > values[best] { best = index }
                return (best - values.startIndex, values[best])
            }
            let (xIndex, xValue) = maximum(simccX.values[(k * widthX)..<((k + 1) * widthX)])
            let (yIndex, yValue) = maximum(simccY.values[(k * widthY)..<((k + 1) * widthY)])
            let value = xValue > yValue ? yValue : xValue
            let location = value <= 0 ? (Float(-1), Float(-1)) : (Float(xIndex), Float(yIndex))
            let kx = Double(location.0 / 2), ky = Double(location.1 / 2)
            points.append((kx / Double(width) * scale.0 + center.0 - scale.0 / 2, ky / Double(height) * scale.1 + center.1 - scale.1 / 2))
            scores.append(value)
        }
        return WholeBody(points: points, scores: scores)
    }

    // MARK: To OpenPose (wholebody.py)

    /// `Wholebody.__call__`'s neck and reordering, then `format_result`: the 133 COCO-WholeBody points as 18
    /// OpenPose body points (neck = the shoulders' mean, present when both score over 0.3), two hands of 21 and
    /// a face of 68 plus the two eyes; points scoring under 0.3 are missing, and a part without any is none.
    public static func person(_ whole: WholeBody) -> PersonPose {
        var points = zip(whole.points, whole.scores).map { ($0.0.x, $0.0.y, Double($0.1)) }
        let neck = ((points[5].0 + points[6].0) / 2, (points[5].1 + points[6].1) / 2,
                    points[5].2 > 0.3 && points[6].2 > 0.3 ? 1.0 : 0.0)
        points.insert(neck, at: 17)
        let mmpose = [17, 6, 8, 10, 7, 9, 12, 14, 16, 13, 15, 2, 1, 4, 3]
        let openpose = [1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17]
        let source = points
        for (target, from) in zip(openpose, mmpose) { points[target] = source[from] }
        func part(_ range: Range<Int>) -> [PoseKeypoint?]? {
            let part = range.enumerated().map { index, position -> PoseKeypoint? in
                let (x, y, score) = points[position]
                return score >= keypointThreshold ? PoseKeypoint(x: x, y: y, score: score, id: index) : nil
            }
            return part.allSatisfy { $0 == nil } ? nil : part
        }
        let body = part(0..<18) ?? Array(repeating: nil, count: 18)
        var face = part(24..<92)
        if face != nil { face! += [body[14], body[15]] }
        let total = body.compactMap { $0?.score }.reduce(0, +)
        return PersonPose(body: BodyPose(keypoints: body, totalScore: total, totalParts: 18), leftHand: part(92..<113),
                          rightHand: part(113..<134), face: face)
    }
}
