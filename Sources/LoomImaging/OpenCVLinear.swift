import Foundation

/// OpenCV's bilinear sampling of 8-bit images as DWPose calls it, checked against opencv-python 5.1:
/// `cv2.resize(…, INTER_LINEAR)` (the detector's letterbox) and `cv2.warpAffine(…, INTER_LINEAR)` with a constant
/// black border (the pose estimator's crops).
public enum OpenCVLinear {
    /// `cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)`: 11-bit fixed-point weights
    /// (`(1 − f)·2048` and `f·2048` rounded, f from the float position `(d + 0.5)·scale − 0.5`), an exact integer
    /// horizontal pass, and the vertical pass as OpenCV's SIMD code rounds it: each row's sums shifted right by 4,
    /// multiplied by the weight keeping the high 16 bits, then `(a + b + 2) >> 2`. Columns past the edge take the
    /// edge pixel at full weight; rows past it repeat the edge row but keep their weights.
    public static func resize(_ image: ByteImage, height: Int, width: Int) -> ByteImage {
        let channels = image.channels
        guard height > 0, width > 0, image.height > 0, image.width > 0 else {
            return ByteImage(height: max(height, 0), width: max(width, 0), channels: channels)
        }
        func position(_ destination: Int, _ sourceSize: Int, _ destinationSize: Int) -> (Int, Float) {
            let scale = Double(sourceSize) / Double(destinationSize)
            let f = Float((Double(destination) + 0.5) * scale - 0.5)
            let index = Int(f.rounded(.down))
            return (index, f - Float(index))
        }
        func weights(_ fraction: Float) -> (Int, Int) {
            // saturate_cast<short>: round half to even.
            (Int(((1 - fraction) * 2048).rounded(.toNearestOrEven)), Int((fraction * 2048).rounded(.toNearestOrEven)))
        }
        var columns: [(index: Int, a0: Int, a1: Int)] = []
        for x in 0..<width {
            var (index, fraction) = position(x, image.width, width)
            if index < 0 { (index, fraction) = (0, 0) }
            if index >= image.width - 1 { (index, fraction) = (image.width - 1, 0) }
            let (a0, a1) = weights(fraction)
            columns.append((index, a0, a1))
        }
        // The horizontal pass of every source row, kept as integers (×2048).
        var horizontal = [Int32](repeating: 0, count: image.height * width * channels)
        for y in 0..<image.height {
            let row = y * image.width * channels
            for (x, column) in columns.enumerated() {
                let next = min(column.index + 1, image.width - 1)
                for c in 0..<channels {
                    let v0 = Int(image.samples[row + column.index * channels + c]), v1 = Int(image.samples[row + next * channels + c])
                    horizontal[(y * width + x) * channels + c] = Int32(v0 * column.a0 + v1 * column.a1)
                }
            }
        }
        var samples = [UInt8](repeating: 0, count: height * width * channels)
        let rowLength = width * channels
        for y in 0..<height {
            let (index, fraction) = position(y, image.height, height)
            let (b0, b1) = weights(fraction)
            let first = min(max(index, 0), image.height - 1) * rowLength, second = min(max(index + 1, 0), image.height - 1) * rowLength
            for i in 0..<rowLength {
                let s0 = min(Int(horizontal[first + i] >> 4), 32767), s1 = min(Int(horizontal[second + i] >> 4), 32767)
                let sum = ((s0 * b0) >> 16) + ((s1 * b1) >> 16)
                samples[y * rowLength + i] = UInt8(clamping: (sum + 2) >> 2)
            }
        }
        return ByteImage(height: height, width: width, channels: channels, samples: samples)
    }

    /// `cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR)` with a black constant border:
    /// `matrix` (2×3, row-major) maps source to destination and is inverted as OpenCV does; each destination
    /// pixel's source position is computed in double, its fractions in float, and the four neighbours (black
    /// outside the image) blended in float and rounded half to even.
    public static func warpAffine(_ image: ByteImage, matrix: [Double], height: Int, width: Int) -> ByteImage {
        precondition(matrix.count == 6, "an affine matrix has 6 entries")
        var m = matrix
        let determinant = m[0] * m[4] - m[1] * m[3]
        let d = determinant != 0 ? 1 / determinant : 0
        let a11 = m[4] * d, a22 = m[0] * d
        m[0] = a11
        m[1] *= -d
        m[3] *= -d
        m[4] = a22
        let b1 = -m[0] * m[2] - m[1] * m[5], b2 = -m[3] * m[2] - m[4] * m[5]
        m[2] = b1
        m[5] = b2
        let channels = image.channels
        var samples = [UInt8](repeating: 0, count: max(height, 0) * max(width, 0) * channels)
        guard height > 0, width > 0 else { return ByteImage(height: max(height, 0), width: max(width, 0), channels: channels, samples: samples) }
        for y in 0..<height {
            for x in 0..<width {
                let sx = m[0] * Double(x) + m[1] * Double(y) + m[2], sy = m[3] * Double(x) + m[4] * Double(y) + m[5]
                guard sx.isFinite, sy.isFinite, abs(sx) < 1e9, abs(sy) < 1e9 else { continue }
                let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
                guard x0 >= -1, y0 >= -1, x0 < image.width, y0 < image.height else { continue }
                let a = Float(sx - Double(x0)), b = Float(sy - Double(y0))
                for c in 0..<channels {
                    func pixel(_ yy: Int, _ xx: Int) -> Float {
                        yy >= 0 && yy < image.height && xx >= 0 && xx < image.width ? Float(image.samples[(yy * image.width + xx) * channels + c]) : 0
                    }
                    let top = (1 - a) * pixel(y0, x0) + a * pixel(y0, x0 + 1)
                    let bottom = (1 - a) * pixel(y0 + 1, x0) + a * pixel(y0 + 1, x0 + 1)
                    let value = (1 - b) * top + b * bottom
                    samples[(y * width + x) * channels + c] = UInt8(clamping: Int(value.rounded(.toNearestOrEven)))
                }
            }
        }
        return ByteImage(height: height, width: width, channels: channels, samples: samples)
    }
}
