import Foundation

/// A pixel position, as OpenCV's `cv::Point`.
public struct PixelPoint: Sendable, Hashable {
    public var x: Int
    public var y: Int

    public init(x: Int, y: Int) {
        self.x = x
        self.y = y
    }
}

/// OpenCV's 8-connected drawing (`cv2.fillConvexPoly`, `cv2.circle`, `cv2.line`, `cv2.ellipse2Poly`) with its
/// rasterisation rules, so annotator maps match the Python pack's pixel for pixel: Bresenham edges, the
/// 16-bit fixed-point edge walk of convex polygons, the midpoint circle and thick lines as polygons with
/// round caps. Shapes may reach outside the image; they are clipped as OpenCV clips them. Checked against
/// opencv-python 5.1.
extension ByteImage {
    /// OpenCV's fixed-point precision for sub-pixel coordinates.
    static let fractionBits = 16
    static let fixedOne: Int = 1 << fractionBits

    /// A colour as `cv::Scalar` becomes bytes: each value rounded half to even and clipped to 0...255.
    static func colorBytes(_ color: [Double], channels: Int) -> [UInt8] {
        (0..<channels).map { index in
            let value = index < color.count ? color[index] : 0
            guard value.isFinite else { return value > 0 ? 255 : 0 }
            return UInt8(min(max(value.rounded(.toNearestOrEven), 0), 255))
        }
    }

    /// `cv2.fillConvexPoly(image, points, color)`.
    public mutating func fillConvexPolygon(_ points: [PixelPoint], color: [Double]) {
        fillConvexPolygon(points, color: Self.colorBytes(color, channels: channels), shift: 0)
    }

    /// `cv2.circle(image, center, radius, color, thickness=-1)`: a filled midpoint circle.
    public mutating func fillCircle(center: PixelPoint, radius: Int, color: [Double]) {
        guard radius >= 0 else { return }
        fillCircle(center: center, radius: radius, color: Self.colorBytes(color, channels: channels))
    }

    /// `cv2.line(image, p1, p2, color, thickness)` with the default 8-connected line type.
    public mutating func drawLine(from start: PixelPoint, to end: PixelPoint, color: [Double], thickness: Int) {
        let bytes = Self.colorBytes(color, channels: channels)
        if thickness <= 1 {
            line(start, end, color: bytes)
            return
        }
        // OpenCV 5 first cuts a thick line's ends to the image grown by the thickness on every side.
        var start = PixelPoint(x: start.x + thickness, y: start.y + thickness), end = PixelPoint(x: end.x + thickness, y: end.y + thickness)
        guard Self.clip(width: width + 2 * thickness, height: height + 2 * thickness, &start, &end) else { return }
        start = PixelPoint(x: start.x - thickness, y: start.y - thickness)
        end = PixelPoint(x: end.x - thickness, y: end.y - thickness)
        let one = Self.fixedOne
        let p0 = (x: start.x * one, y: start.y * one), p1 = (x: end.x * one, y: end.y * one)
        // ThickLine: a rectangle half the thickness either side, then a round cap at each end.
        let dx = Double(p0.x - p1.x) / Double(one), dy = Double(p1.y - p0.y) / Double(one)
        let squaredLength = dx * dx + dy * dy
        let odd = thickness & 1
        let halfThickness = thickness << (Self.fractionBits - 1)
        if abs(squaredLength) > Double.ulpOfOne {
            let r = (Double(halfThickness) + Double(odd) * Double(one) * 0.5) / squaredLength.squareRoot()
            let offsetX = Int((dy * r).rounded(.toNearestOrEven)), offsetY = Int((dx * r).rounded(.toNearestOrEven))
            let corners = [
                PixelPoint(x: p0.x + offsetX, y: p0.y + offsetY), PixelPoint(x: p0.x - offsetX, y: p0.y - offsetY),
                PixelPoint(x: p1.x - offsetX, y: p1.y - offsetY), PixelPoint(x: p1.x + offsetX, y: p1.y + offsetY),
            ]
            fillConvexPolygon(corners, color: bytes, shift: Self.fractionBits)
        }
        let radius = (halfThickness + (one >> 1)) >> Self.fractionBits
        for end in [p0, p1] {
            let center = PixelPoint(x: (end.x + (one >> 1)) >> Self.fractionBits, y: (end.y + (one >> 1)) >> Self.fractionBits)
            fillCircle(center: center, radius: radius, color: bytes)
        }
    }

    /// `cv2.ellipse2Poly(center, axes, angle, arcStart, arcEnd, delta)`: OpenCV's one-degree sine table,
    /// points rounded half to even, repeats dropped.
    public static func ellipsePolygon(center: PixelPoint, axes: (width: Int, height: Int), angle: Int,
                                      arcStart: Int, arcEnd: Int, delta: Int) -> [PixelPoint] {
        precondition(delta > 0 && delta <= 180, "ellipse2Poly takes a step of 1 to 180 degrees")
        var angle = angle, arcStart = arcStart, arcEnd = arcEnd
        while angle < 0 { angle += 360 }
        while angle > 360 { angle -= 360 }
        if arcStart > arcEnd { swap(&arcStart, &arcEnd) }
        while arcStart < 0 {
            arcStart += 360
            arcEnd += 360
        }
        while arcEnd > 360 {
            arcEnd -= 360
            arcStart -= 360
        }
        if arcEnd - arcStart > 360 {
            arcStart = 0
            arcEnd = 360
        }
        let table = OpenCVSineTable.values
        let alpha = table[450 - angle], beta = table[angle]
        var points: [PixelPoint] = []
        var step = arcStart
        while step < arcEnd + delta {
            var current = min(step, arcEnd)
            if current < 0 { current += 360 }
            let x = Double(axes.width) * Double(table[450 - current])
            let y = Double(axes.height) * Double(table[current])
            let px = Double(center.x) + x * Double(alpha) - y * Double(beta)
            let py = Double(center.y) + x * Double(beta) + y * Double(alpha)
            // Axes come from keypoints a workflow may supply: a point beyond Int's range is dropped, not trapped on.
            if let x = Int(exactly: px.rounded(.toNearestOrEven)), let y = Int(exactly: py.rounded(.toNearestOrEven)),
               PixelPoint(x: x, y: y) != points.last {
                points.append(PixelPoint(x: x, y: y))
            }
            step += delta
        }
        if points.count == 1 { points = [center, center] }
        return points
    }

    // MARK: - OpenCV's rasterisers

    mutating func setPixel(_ x: Int, _ y: Int, _ color: [UInt8]) {
        let base = (y * width + x) * channels
        for c in 0..<channels { samples[base + c] = color[c] }
    }

    /// ICV_HLINE: `x1...x2` on row `y`, inclusive, already clipped.
    mutating func horizontalLine(y: Int, from x1: Int, to x2: Int, _ color: [UInt8]) {
        guard x1 <= x2 else { return }
        for x in x1...x2 { setPixel(x, y, color) }
    }

    /// clipLine on a `width` × `height` area: Cohen–Sutherland with C's truncating integer division.
    static func clip(width: Int, height: Int, _ p1: inout PixelPoint, _ p2: inout PixelPoint) -> Bool {
        let right = width - 1, bottom = height - 1
        guard width > 0 && height > 0 else { return false }
        func code(_ p: PixelPoint) -> Int {
            (p.x < 0 ? 1 : 0) + (p.x > right ? 2 : 0) + (p.y < 0 ? 4 : 0) + (p.y > bottom ? 8 : 0)
        }
        var c1 = code(p1), c2 = code(p2)
        if (c1 & c2) == 0 && (c1 | c2) != 0 {
            if c1 & 12 != 0 {
                let a = c1 < 8 ? 0 : bottom
                p1.x += (a - p1.y) * (p2.x - p1.x) / (p2.y - p1.y)
                p1.y = a
                c1 = (p1.x < 0 ? 1 : 0) + (p1.x > right ? 2 : 0)
            }
            if c2 & 12 != 0 {
                let a = c2 < 8 ? 0 : bottom
                p2.x += (a - p2.y) * (p2.x - p1.x) / (p2.y - p1.y)
                p2.y = a
                c2 = (p2.x < 0 ? 1 : 0) + (p2.x > right ? 2 : 0)
            }
            if (c1 & c2) == 0 && (c1 | c2) != 0 {
                if c1 != 0 {
                    let a = c1 == 1 ? 0 : right
                    p1.y += (a - p1.x) * (p2.y - p1.y) / (p2.x - p1.x)
                    p1.x = a
                    c1 = 0
                }
                if c2 != 0 {
                    let a = c2 == 1 ? 0 : right
                    p2.y += (a - p2.x) * (p2.y - p1.y) / (p2.x - p1.x)
                    p2.x = a
                    c2 = 0
                }
            }
        }
        return (c1 | c2) == 0
    }

    /// `Line`: the 8-connected LineIterator from left to right.
    mutating func line(_ start: PixelPoint, _ end: PixelPoint, color: [UInt8]) {
        var p1 = start, p2 = end
        if p1.x < 0 || p1.x >= width || p2.x < 0 || p2.x >= width || p1.y < 0 || p1.y >= height || p2.y < 0 || p2.y >= height {
            guard Self.clip(width: width, height: height, &p1, &p2) else { return }
        }
        var dx = p2.x - p1.x, dy = p2.y - p1.y
        if dx < 0 {
            dx = -dx
            dy = -dy
            p1 = p2
        }
        var minorStep = (x: 0, y: 1), majorStep = (x: 1, y: 0)
        if dy < 0 {
            dy = -dy
            minorStep.y = -1
        }
        if dy > dx {
            swap(&dx, &dy)
            swap(&minorStep, &majorStep)
        }
        var error = dx - 2 * dy
        var x = p1.x, y = p1.y
        for _ in 0...dx {
            setPixel(x, y, color)
            let minor = error < 0
            error += -2 * dy + (minor ? 2 * dx : 0)
            x += majorStep.x + (minor ? minorStep.x : 0)
            y += majorStep.y + (minor ? minorStep.y : 0)
        }
    }

    /// `Line2`: an 8-connected line between 16-bit fixed-point ends.
    mutating func fixedPointLine(_ start: PixelPoint, _ end: PixelPoint, color: [UInt8]) {
        var p1 = start, p2 = end
        guard Self.clip(width: width << Self.fractionBits, height: height << Self.fractionBits, &p1, &p2) else { return }
        let one = Self.fixedOne
        var dx = p2.x - p1.x, dy = p2.y - p1.y
        let j = dx < 0 ? -1 : 0, i = dy < 0 ? -1 : 0
        let ax = (dx ^ j) - j, ay = (dy ^ i) - i
        var xStep: Int, yStep: Int, count: Int
        if ax > ay {
            dy = (dy ^ j) - j
            if j != 0 { swap(&p1, &p2) }
            xStep = one
            yStep = (dy << Self.fractionBits) / (ax | 1)
            count = (p2.x - p1.x) >> Self.fractionBits
        } else {
            dx = (dx ^ i) - i
            if i != 0 { swap(&p1, &p2) }
            xStep = (dx << Self.fractionBits) / (ay | 1)
            yStep = one
            count = (p2.y - p1.y) >> Self.fractionBits
        }
        p1.x += one >> 1
        p1.y += one >> 1
        func put(_ x: Int, _ y: Int) {
            if x >= 0 && x < width && y >= 0 && y < height { setPixel(x, y, color) }
        }
        put((p2.x + (one >> 1)) >> Self.fractionBits, (p2.y + (one >> 1)) >> Self.fractionBits)
        if ax > ay {
            var x = p1.x >> Self.fractionBits, y = p1.y
            while count >= 0 {
                put(x, y >> Self.fractionBits)
                x += 1
                y += yStep
                count -= 1
            }
        } else {
            var x = p1.x, y = p1.y >> Self.fractionBits
            while count >= 0 {
                put(x >> Self.fractionBits, y)
                x += xStep
                y += 1
                count -= 1
            }
        }
    }

    /// `FillConvexPoly` with 8-connected edges; `shift` fractional bits in the vertices.
    mutating func fillConvexPolygon(_ vertices: [PixelPoint], color: [UInt8], shift: Int) {
        let count = vertices.count
        guard count > 0 else { return }
        let bits = Self.fractionBits, one = Self.fixedOne
        let delta = (1 << shift) >> 1
        let halfOne = one >> 1
        var edgesLeft = count
        var p0 = vertices[count - 1]
        p0.x <<= bits - shift
        p0.y <<= bits - shift
        var xMin = vertices[0].x, xMax = vertices[0].x, yMin = vertices[0].y, yMax = vertices[0].y
        var topIndex = 0
        for index in 0..<count {
            var p = vertices[index]
            if p.y < yMin {
                yMin = p.y
                topIndex = index
            }
            yMax = max(yMax, p.y)
            xMax = max(xMax, p.x)
            xMin = min(xMin, p.x)
            p.x <<= bits - shift
            p.y <<= bits - shift
            if shift == 0 {
                line(PixelPoint(x: p0.x >> bits, y: p0.y >> bits), PixelPoint(x: p.x >> bits, y: p.y >> bits), color: color)
            } else {
                fixedPointLine(p0, p, color: color)
            }
            p0 = p
        }
        xMin = (xMin + delta) >> shift
        xMax = (xMax + delta) >> shift
        yMin = (yMin + delta) >> shift
        yMax = (yMax + delta) >> shift
        guard count >= 3, xMax >= 0, yMax >= 0, xMin < width, yMin < height else { return }
        yMax = min(yMax, height - 1)

        struct Edge {
            var index: Int
            var direction: Int
            var x: Int
            var dx: Int
            var endY: Int
        }
        var edges = [Edge(index: topIndex, direction: 1, x: -one, dx: 0, endY: yMin),
                     Edge(index: topIndex, direction: count - 1, x: -one, dx: 0, endY: yMin)]
        var y = yMin
        repeat {
            for e in 0..<2 where y >= edges[e].endY {
                var previous = edges[e].index
                var next = previous + edges[e].direction
                if next >= count { next -= count }
                // C's `for (; edges-- > 0; )`: the failed test still decrements, leaving -1 once all are used.
                while true {
                    let proceed = edgesLeft > 0
                    edgesLeft -= 1
                    guard proceed else { break }
                    let nextY = (vertices[next].y + delta) >> shift
                    if nextY > y {
                        let xs = vertices[previous].x << (bits - shift), xe = vertices[next].x << (bits - shift)
                        edges[e].endY = nextY
                        edges[e].dx = ((xe - xs) * 2 + (nextY - y)) / (2 * (nextY - y))
                        edges[e].x = xs
                        edges[e].index = next
                        break
                    }
                    previous = next
                    next += edges[e].direction
                    if next >= count { next -= count }
                }
            }
            if edgesLeft < 0 { break }
            if y >= 0 {
                let (left, right) = edges[0].x > edges[1].x ? (1, 0) : (0, 1)
                var x1 = (edges[left].x + halfOne) >> bits
                var x2 = (edges[right].x + halfOne) >> bits
                if x2 >= 0 && x1 < width {
                    x1 = max(x1, 0)
                    x2 = min(x2, width - 1)
                    horizontalLine(y: y, from: x1, to: x2, color)
                }
            }
            edges[0].x += edges[0].dx
            edges[1].x += edges[1].dx
            y += 1
        } while y <= yMax
    }

    /// `Circle` filled: the midpoint circle, each octant pair drawn as horizontal spans.
    mutating func fillCircle(center: PixelPoint, radius: Int, color: [UInt8]) {
        var error = 0, dx = radius, dy = 0, plus = 1, minus = (radius << 1) - 1
        while dx >= dy {
            let y11 = center.y - dy, y12 = center.y + dy, y21 = center.y - dx, y22 = center.y + dx
            var x11 = center.x - dx, x12 = center.x + dx, x21 = center.x - dy, x22 = center.x + dy
            if x11 < width && x12 >= 0 && y21 < height && y22 >= 0 {
                x11 = max(x11, 0)
                x12 = min(x12, width - 1)
                if y11 >= 0 && y11 < height { horizontalLine(y: y11, from: x11, to: x12, color) }
                if y12 >= 0 && y12 < height { horizontalLine(y: y12, from: x11, to: x12, color) }
                if x21 < width && x22 >= 0 {
                    x21 = max(x21, 0)
                    x22 = min(x22, width - 1)
                    if y21 >= 0 && y21 < height { horizontalLine(y: y21, from: x21, to: x22, color) }
                    if y22 >= 0 && y22 < height { horizontalLine(y: y22, from: x21, to: x22, color) }
                }
            }
            dy += 1
            error += plus
            plus += 2
            let mask = error <= 0 ? 0 : -1
            error -= minus & mask
            dx += mask
            minus -= mask & 2
        }
    }
}

/// OpenCV's sine table for whole degrees 0...450, each value the float nearest sin(i°) rounded to 7 decimals.
enum OpenCVSineTable {
    static let values: [Float] = (0...450).map { degree in
        Float(String(format: "%.7f", sin(Double(degree) * Double.pi / 180)))!
    }
}
