import Foundation
import LoomImaging

/// The annotator's pose map (`draw_bodypose`, `draw_handpose`, `draw_facepose`): limbs as filled ellipses in
/// 60 % colour, joints as filled circles, hands as rainbow lines with blue joints, the face as white dots,
/// on black, with OpenCV's rasterisation. Points are normalised to 0...1 by the canvas size.
public enum OpenPoseDrawing {
    /// The body colours, one per limb and per part, in the annotator's order (red first), RGB.
    public static let colors: [[Double]] = [
        [255, 0, 0], [255, 85, 0], [255, 170, 0], [255, 255, 0], [170, 255, 0], [85, 255, 0], [0, 255, 0],
        [0, 255, 85], [0, 255, 170], [0, 255, 255], [0, 170, 255], [0, 85, 255], [0, 0, 255], [85, 0, 255],
        [170, 0, 255], [255, 0, 255], [255, 0, 170], [255, 0, 85],
    ]
    static let handEdges: [(Int, Int)] = [
        (0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (0, 9), (9, 10), (10, 11), (11, 12),
        (0, 13), (13, 14), (14, 15), (15, 16), (0, 17), (17, 18), (18, 19), (19, 20),
    ]
    /// `eps`: hand and face points at pixel 0 (or missing, −1) are not drawn.
    static let epsilon = 0.01

    /// Which of the pack's two copies of the drawing code to follow.
    public enum Style: Sendable {
        /// open_pose/util.py, as OpenposePreprocessor draws what it found: hand and face points are float32.
        case detection
        /// dwpose/util.py, as RenderPeopleKps draws a POSE_KEYPOINT: float64 points, missing ones skipped, and a
        /// part whose points are not all within ±1 taken as pixels rather than fractions of the canvas.
        case keypoints
    }

    /// `draw_poses`: for each person, the body, hands and face as asked, on a black canvas.
    public static func draw(_ people: [PersonPose], height: Int, width: Int, body: Bool = true, hands: Bool = true, face: Bool = true,
                            scaleSticksForXinsir: Bool = false, style: Style = .detection) -> ByteImage {
        var canvas = ByteImage(height: height, width: width, channels: 3)
        for person in people {
            if body { drawBody(person.body.keypoints, on: &canvas, scaleSticksForXinsir: scaleSticksForXinsir, style: style) }
            if hands {
                drawHand(person.leftHand, on: &canvas, style: style)
                drawHand(person.rightHand, on: &canvas, style: style)
            }
            if face { drawFace(person.face, on: &canvas, style: style) }
        }
        return canvas
    }

    /// dwpose's `is_normalized`: some point present and all within ±1.
    static func isNormalized(_ keypoints: [PoseKeypoint?]) -> Bool {
        let present = keypoints.compactMap { $0 }
        return !present.isEmpty && present.allSatisfy { abs($0.x) <= 1 && abs($0.y) <= 1 }
    }

    /// What points are multiplied by: the canvas size, or 1 for pixel coordinates in the keypoint style.
    static func scale(_ keypoints: [PoseKeypoint?], _ canvas: ByteImage, _ style: Style) -> (width: Double, height: Double) {
        style == .keypoints && !isNormalized(keypoints) ? (1, 1) : (Double(canvas.width), Double(canvas.height))
    }

    /// `draw_bodypose`. With `scaleSticksForXinsir` the sticks widen with the canvas as xinsir's SDXL ControlNet
    /// was trained (×1 under 500 pixels, then 2 + the thousands, at most 7).
    public static func drawBody(_ keypoints: [PoseKeypoint?], on canvas: inout ByteImage, scaleSticksForXinsir: Bool = false,
                                style: Style = .detection) {
        let (width, height) = scale(keypoints, canvas, style)
        let maxSide = max(canvas.height, canvas.width)
        let stickScale = scaleSticksForXinsir && maxSide >= 500 ? min(2 + maxSide / 1000, 7) : 1
        for (limb, color) in zip(BodyPoseDecoder.limbs.prefix(17), colors) {
            guard limb.0 - 1 < keypoints.count, limb.1 - 1 < keypoints.count,
                  let first = keypoints[limb.0 - 1], let second = keypoints[limb.1 - 1] else { continue }
            let ys = (first.x * width, second.x * width), xs = (first.y * height, second.y * height)
            let meanX = (xs.0 + xs.1) / 2, meanY = (ys.0 + ys.1) / 2
            let length = pow((xs.0 - xs.1) * (xs.0 - xs.1) + (ys.0 - ys.1) * (ys.0 - ys.1), 0.5)
            let angle = atan2(xs.0 - xs.1, ys.0 - ys.1) * (180 / Double.pi)
            guard let center = PixelPoint(truncating: meanY, meanX), let halfLength = Int(truncatingFinite: length / 2),
                  let degrees = Int(truncatingFinite: angle) else { continue }
            let polygon = ByteImage.ellipsePolygon(center: center, axes: (halfLength, 4 * stickScale), angle: degrees,
                                                   arcStart: 0, arcEnd: 360, delta: 1)
            canvas.fillConvexPolygon(polygon, color: color.map { Double(Int($0 * 0.6)) })
        }
        for (keypoint, color) in zip(keypoints, colors) {
            guard let keypoint, let center = PixelPoint(truncating: keypoint.x * width, keypoint.y * height) else { continue }
            canvas.fillCircle(center: center, radius: 4, color: color)
        }
    }

    /// A hand or face point in pixels as the style computes it (`int(x * W), int(y * H)`).
    static func pixel(_ point: PoseKeypoint, _ scale: (width: Double, height: Double), _ style: Style) -> PixelPoint? {
        switch style {
        case .detection:
            PixelPoint(truncating: Double(Float(point.x) * Float(scale.width)), Double(Float(point.y) * Float(scale.height)))
        case .keypoints:
            PixelPoint(truncating: point.x * scale.width, point.y * scale.height)
        }
    }

    /// `draw_handpose`: rainbow bones 2 pixels thick, blue joints; points at pixel 0 or before are left out.
    public static func drawHand(_ keypoints: [PoseKeypoint?]?, on canvas: inout ByteImage, style: Style = .detection) {
        guard let keypoints, !keypoints.isEmpty else { return }
        let scale = scale(keypoints, canvas, style)
        for (index, edge) in handEdges.enumerated() where edge.0 < keypoints.count && edge.1 < keypoints.count {
            guard let first = keypoints[edge.0], let second = keypoints[edge.1],
                  let a = pixel(first, scale, style), let b = pixel(second, scale, style) else { continue }
            if Double(a.x) > epsilon && Double(a.y) > epsilon && Double(b.x) > epsilon && Double(b.y) > epsilon {
                let color = rainbow(hue: Double(index) / Double(handEdges.count)).map { $0 * 255 }
                canvas.drawLine(from: a, to: b, color: color, thickness: 2)
            }
        }
        for case let keypoint? in keypoints {
            guard let point = pixel(keypoint, scale, style), Double(point.x) > epsilon, Double(point.y) > epsilon else { continue }
            canvas.fillCircle(center: point, radius: 4, color: [0, 0, 255])
        }
    }

    /// `draw_facepose`: white dots of radius 3.
    public static func drawFace(_ keypoints: [PoseKeypoint?]?, on canvas: inout ByteImage, style: Style = .detection) {
        guard let keypoints, !keypoints.isEmpty else { return }
        let scale = scale(keypoints, canvas, style)
        for case let keypoint? in keypoints {
            guard let point = pixel(keypoint, scale, style), Double(point.x) > epsilon, Double(point.y) > epsilon else { continue }
            canvas.fillCircle(center: point, radius: 3, color: [255, 255, 255])
        }
    }

    /// matplotlib's `hsv_to_rgb([hue, 1, 1])`, with its arithmetic (one edge's green is exactly 127.5·2).
    static func rainbow(hue: Double) -> [Double] {
        let sector = Int(hue * 6), fraction = hue * 6 - Double(sector)
        let (p, q, t) = (0.0, 1 - 1 * fraction, 1 - 1 * (1 - fraction))
        switch sector % 6 {
        case 0: return [1, t, p]
        case 1: return [q, 1, p]
        case 2: return [p, 1, t]
        case 3: return [p, q, 1]
        case 4: return [t, p, 1]
        default: return [1, p, q]
        }
    }
}

extension PixelPoint {
    /// Python's `int(x), int(y)`: truncation toward zero; nil for values no canvas could hold.
    init?(truncating x: Double, _ y: Double) {
        guard let x = Int(truncatingFinite: x), let y = Int(truncatingFinite: y) else { return nil }
        self.init(x: x, y: y)
    }
}

extension Int {
    /// Truncation toward zero of a finite value within ±2³⁰ (far outside any canvas), nil otherwise.
    init?(truncatingFinite value: Double) {
        guard value.isFinite, abs(value) < Double(1 << 30) else { return nil }
        self.init(value)
    }
}
