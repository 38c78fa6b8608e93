import Foundation

extension OpenCVResize {
    /// `cv2.GaussianBlur(image, (0, 0), sigma)` of an 8-bit image: a separable kernel of
    /// `round(6σ + 1) | 1` taps (OpenCV's size for 8-bit data), edges mirrored without repeating the border
    /// pixel (BORDER_REFLECT_101), rounded half to even. OpenCV computes 8-bit blurs in 8.8 fixed point, so a
    /// sample may differ from it by one.
    public static func gaussianBlur(_ image: ByteImage, sigma: Double) -> ByteImage {
        guard image.height > 0 && image.width > 0 && sigma > 0 else { return image }
        let size = Int((sigma * 3 * 2 + 1).rounded(.toNearestOrEven)) | 1
        let radius = size / 2
        var weights = (0..<size).map { exp(-Double(($0 - radius) * ($0 - radius)) / (2 * sigma * sigma)) }
        let total = weights.reduce(0, +)
        weights = weights.map { $0 / total }
        func mirror(_ index: Int, _ count: Int) -> Int {
            guard count > 1 else { return 0 }
            var i = index
            while i < 0 || i >= count { i = i < 0 ? -i : 2 * (count - 1) - i }
            return i
        }
        let channels = image.channels
        var horizontal = [Double](repeating: 0, count: image.samples.count)
        for y in 0..<image.height {
            for x in 0..<image.width {
                for c in 0..<channels {
                    var sum = 0.0
                    for t in 0..<size {
                        sum += weights[t] * Double(image[y, mirror(x + t - radius, image.width), c])
                    }
                    horizontal[(y * image.width + x) * channels + c] = sum
                }
            }
        }
        var output = image
        for y in 0..<image.height {
            for x in 0..<image.width {
                for c in 0..<channels {
                    var sum = 0.0
                    for t in 0..<size {
                        sum += weights[t] * horizontal[(mirror(y + t - radius, image.height) * image.width + x) * channels + c]
                    }
                    output[y, x, c] = UInt8(min(max(sum.rounded(.toNearestOrEven), 0), 255))
                }
            }
        }
        return output
    }
}
