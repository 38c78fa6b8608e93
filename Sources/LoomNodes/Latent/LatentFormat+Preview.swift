import LoomGraph
import LoomImaging
import LoomModels

extension LatentFormat {
    /// The first item of a model-space latent batch ([batch, channels, height, width], flattened) as a
    /// preview: each pixel's channels mapped through `rgbFactors`, [-1, 1] scaled to bytes.
    public func preview(of values: [Float], height: Int, width: Int) -> ProgressPreview? {
        guard let rgbFactors, rgbFactors.count == channels, values.count >= channels * height * width else { return nil }
        let plane = height * width
        var rgb = [UInt8](repeating: 0, count: plane * 3)
        for pixel in 0..<plane {
            for component in 0..<3 {
                var sum: Float = 0
                for channel in 0..<channels { sum += values[channel * plane + pixel] * rgbFactors[channel][component] }
                sum += rgbBias?[component] ?? 0
                rgb[pixel * 3 + component] = UInt8(truncatingUnit: (sum + 1) / 2)
            }
        }
        return ProgressPreview(width: width, height: height, rgb: rgb)
    }
}
