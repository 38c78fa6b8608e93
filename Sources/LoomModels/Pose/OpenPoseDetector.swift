import Foundation
import LoomImaging

/// comfyui_controlnet_aux's `OpenposeDetector.__call__`: the image resized so its short side is the
/// detection resolution (cubic up, area down) and edge-padded to multiples of 64, bodies found, hands and
/// faces looked for around each body, everything drawn on black at that size and the padding cut away.
public struct OpenPoseDetector: Sendable {
    /// The map and the people on it; points are normalised by the padded detection image, as the pack does,
    /// while the canvas size is the map's.
    public struct Detection: Sendable, Equatable {
        public var map: ByteImage
        public var people: [PersonPose]
        public var canvasHeight: Int { map.height }
        public var canvasWidth: Int { map.width }
    }

    public let body: BodyPoseEstimator
    public let hand: HandPoseEstimator?
    public let face: FacePoseEstimator?

    public init(body: BodyPoseEstimator, hand: HandPoseEstimator? = nil, face: FacePoseEstimator? = nil) {
        self.body = body
        self.hand = hand
        self.face = face
    }

    /// `image` is RGB (grey and RGBA are converted as the pack's HWC3 does).
    public func detect(_ image: ByteImage, options: PoseDetectionOptions) throws -> Detection {
        let (padded, height, width) = try Self.resizedWithPad(Self.threeChannels(image), resolution: options.resolution)
        let people = try detectPoses(padded.reversingChannels(), hands: options.hands, face: options.face)
        let canvas = OpenPoseDrawing.draw(people, height: padded.height, width: padded.width, body: options.body, hands: options.hands,
                                          face: options.face, scaleSticksForXinsir: options.scaleSticksForXinsir)
        return Detection(map: canvas.cropped(height: height, width: width), people: people)
    }

    /// `detect_poses` on a BGR image: bodies, then hands and face per body, body points normalised.
    public func detectPoses(_ image: ByteImage, hands: Bool, face: Bool) throws -> [PersonPose] {
        if hands && hand == nil { throw PoseEstimationError.invalidInput("hand detection needs the hand network") }
        if face && self.face == nil { throw PoseEstimationError.invalidInput("face detection needs the face network") }
        let height = Double(image.height), width = Double(image.width)
        return try body.estimate(image).map { found in
            var person = PersonPose(body: BodyPose(
                keypoints: found.keypoints.map { point in point.map { PoseKeypoint(x: $0.x / width, y: $0.y / height) } },
                totalScore: found.totalScore, totalParts: found.totalParts))
            if hands, let hand {
                for region in Self.handRegions(found, height: image.height, width: image.width) {
                    let crop = image.cropped(y: region.y, x: region.x, height: min(region.size, image.height - region.y),
                                             width: min(region.size, image.width - region.x))
                    let points = try hand.estimate(crop).map { Self.normalised($0, offsetX: region.x, offsetY: region.y, in: image) }
                    if region.isLeft { person.leftHand = points } else { person.rightHand = points }
                }
            }
            if face, let estimator = self.face, let region = Self.faceRegion(found, height: image.height, width: image.width) {
                let crop = image.cropped(y: region.y, x: region.x, height: min(region.size, image.height - region.y),
                                         width: min(region.size, image.width - region.x))
                let points = try estimator.estimate(crop).map { Self.normalised($0, offsetX: region.x, offsetY: region.y, in: image) }
                person.face = points.isEmpty ? nil : points
            }
            return person
        }
    }

    /// A crop's peak in the image, normalised in float32 as the pack computes it (`peaks.astype(np.float32)`);
    /// a coordinate of 0 (nothing found) becomes −1 before dividing.
    static func normalised(_ point: (x: Int, y: Int), offsetX: Int, offsetY: Int, in image: ByteImage) -> PoseKeypoint {
        let x = Float(point.x), y = Float(point.y)
        let nx = (x < 1e-6 ? -1 : x + Float(offsetX)) / Float(image.width)
        let ny = (y < 1e-6 ? -1 : y + Float(offsetY)) / Float(image.height)
        return PoseKeypoint(x: Double(nx), y: Double(ny))
    }

    /// `resize_image_with_pad`: the short side to `resolution` (rounded half to even), INTER_CUBIC when
    /// enlarging and INTER_AREA otherwise, then edge padding to multiples of 64. Returns the unpadded size too.
    public static func resizedWithPad(_ image: ByteImage, resolution: Int) throws -> (image: ByteImage, height: Int, width: Int) {
        guard image.height > 0, image.width > 0 else { throw PoseEstimationError.invalidInput("the image is empty") }
        let scale = Double(resolution) / Double(min(image.height, image.width))
        let height = (Double(image.height) * scale).rounded(.toNearestOrEven), width = (Double(image.width) * scale).rounded(.toNearestOrEven)
        guard height >= 1, width >= 1, height * width <= Double(1 << 28) else {
            throw PoseEstimationError.invalidInput("resolution \(resolution) would make the \(image.width) × \(image.height) image \(Int(width)) × \(Int(height)) pixels")
        }
        let resized = OpenCVResize.resize(image, height: Int(height), width: Int(width), interpolation: scale > 1 ? .cubic : .area)
        let padded = resized.paddedWithEdge(bottom: Self.padding(to64: resized.height), right: Self.padding(to64: resized.width))
        return (padded, resized.height, resized.width)
    }

    static func padding(to64 length: Int) -> Int { (length + 63) / 64 * 64 - length }

    /// HWC3: grey repeated, alpha composited over white.
    public static func threeChannels(_ image: ByteImage) -> ByteImage {
        switch image.channels {
        case 3: return image
        case 1, 2:
            var result = ByteImage(height: image.height, width: image.width, channels: 3)
            for pixel in 0..<(image.height * image.width) {
                for c in 0..<3 { result.samples[pixel * 3 + c] = image.samples[pixel * image.channels] }
            }
            return result
        default:
            var result = ByteImage(height: image.height, width: image.width, channels: 3)
            for pixel in 0..<(image.height * image.width) {
                let alpha = Float(image.samples[pixel * image.channels + 3]) / 255
                for c in 0..<3 {
                    let value = Float(image.samples[pixel * image.channels + c]) * alpha + 255 * (1 - alpha)
                    result.samples[pixel * 3 + c] = UInt8(min(max(value, 0), 255))
                }
            }
            return result
        }
    }

    /// `handDetect`: a square past each wrist (left hand first) sized from the forearm and upper arm, kept
    /// inside the image; hands smaller than 20 pixels are skipped.
    static func handRegions(_ body: BodyPose, height: Int, width: Int) -> [(x: Int, y: Int, size: Int, isLeft: Bool)] {
        let points = body.keypoints
        var regions: [(x: Int, y: Int, size: Int, isLeft: Bool)] = []
        for (shoulder, elbow, wrist, isLeft) in [(5, 6, 7, true), (2, 3, 4, false)] {
            guard let s = points[shoulder], let e = points[elbow], let w = points[wrist] else { continue }
            var x = w.x + 0.33 * (w.x - e.x), y = w.y + 0.33 * (w.y - e.y)
            let wristElbow = ((w.x - e.x) * (w.x - e.x) + (w.y - e.y) * (w.y - e.y)).squareRoot()
            let elbowShoulder = ((e.x - s.x) * (e.x - s.x) + (e.y - s.y) * (e.y - s.y)).squareRoot()
            var size = 1.5 * max(wristElbow, 0.9 * elbowShoulder)
            x -= size / 2
            y -= size / 2
            x = max(x, 0)
            y = max(y, 0)
            var width1 = size, width2 = size
            if x + size > Double(width) { width1 = Double(width) - x }
            if y + size > Double(height) { width2 = Double(height) - y }
            size = min(width1, width2)
            if size >= 20 { regions.append((Int(x), Int(y), Int(size), isLeft)) }
        }
        return regions
    }

    /// `faceDetect`: a square around the nose sized from the eyes and ears. The pack checks the image edge
    /// against half the square, so the region may reach past it; the crop is cut there.
    static func faceRegion(_ body: BodyPose, height: Int, width: Int) -> (x: Int, y: Int, size: Int)? {
        let points = body.keypoints
        guard let head = points[0] else { return nil }
        let eyes = [points[14], points[15]], ears = [points[16], points[17]]
        guard (eyes + ears).contains(where: { $0 != nil }) else { return nil }
        var size = 0.0
        for (others, factor) in [(eyes, 3.0), (ears, 1.5)] {
            for case let other? in others {
                size = max(size, max(abs(head.x - other.x), abs(head.y - other.y)) * factor)
            }
        }
        var x = head.x - size, y = head.y - size
        x = max(x, 0)
        y = max(y, 0)
        var width1 = size * 2, width2 = size * 2
        if x + size > Double(width) { width1 = Double(width) - x }
        if y + size > Double(height) { width2 = Double(height) - y }
        size = min(width1, width2)
        guard size >= 20 else { return nil }
        return (Int(x), Int(y), Int(size))
    }
}
