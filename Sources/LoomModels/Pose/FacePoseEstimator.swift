import LoomImaging

/// The annotator's face estimation (`Face.__call__` and `compute_peaks_from_heatmaps`): the crop resized to
/// 384 × 384, the network's last heatmaps stretched back to the crop (bilinear, corners aligned, as
/// `F.interpolate` does), and for each of the 71 maps (70 points and the background) its strongest pixel
/// when any exceeds 0.05.
public struct FacePoseEstimator: Sendable {
    static let inputSize = 384.0
    static let threshold: Float = 0.05

    public let network: any KeypointHeatmapNetwork

    public init(network: any KeypointHeatmapNetwork) {
        self.network = network
    }

    /// The points found, in the crop's pixels, in map order; maps with nothing above the threshold are skipped.
    public func estimate(_ crop: ByteImage) throws -> [(x: Int, y: Int)] {
        guard crop.height > 0 && crop.width > 0 else { throw PoseEstimationError.invalidInput("the face crop is empty") }
        let resized = try AnnotatorResizing.resize(crop, height: Self.inputSize, width: Self.inputSize)
        let heatmaps = try network.heatmaps(AnnotatorResizing.networkInput(resized))
        guard heatmaps.rank == 4, heatmaps.shape[0] == 1, heatmaps.shape[2] == resized.height / 8, heatmaps.shape[3] == resized.width / 8 else {
            throw PoseEstimationError.invalidInput("the face network returned \(heatmaps.shape) for a \(resized.height) × \(resized.width) input")
        }
        let rows = heatmaps.shape[2], columns = heatmaps.shape[3], plane = rows * columns
        return (0..<heatmaps.shape[1]).compactMap { channel -> (x: Int, y: Int)? in
            let source = Array(heatmaps.values[(channel * plane)..<((channel + 1) * plane)])
            let map = Self.bilinearAlignedCorners(source, height: rows, width: columns, toHeight: crop.height, toWidth: crop.width)
            var best: Float = -.infinity, bestIndex = -1
            for (index, value) in map.enumerated() where value > Self.threshold && value > best {
                best = value
                bestIndex = index
            }
            return bestIndex < 0 ? nil : (bestIndex % crop.width, bestIndex / crop.width)
        }
    }

    /// `F.interpolate(x, size, mode='bilinear', align_corners=True)` on one float32 plane, in PyTorch's order of
    /// operations: along the width first, then the two rows weighted.
    static func bilinearAlignedCorners(_ plane: [Float], height: Int, width: Int, toHeight: Int, toWidth: Int) -> [Float] {
        func taps(_ input: Int, _ output: Int) -> [(Int, Int, Float, Float)] {
            let scale: Float = output > 1 ? Float(input - 1) / Float(output - 1) : 0
            return (0..<output).map { index in
                let source = scale * Float(index)
                let first = min(Int(source.rounded(.down)), input - 1)
                let lambda = min(max(source - Float(first), 0), 1)
                return (first, first < input - 1 ? first + 1 : first, 1 - lambda, lambda)
            }
        }
        let rowTaps = taps(height, toHeight), columnTaps = taps(width, toWidth)
        var output = [Float](repeating: 0, count: toHeight * toWidth)
        for (y, row) in rowTaps.enumerated() {
            for (x, column) in columnTaps.enumerated() {
                let top = plane[row.0 * width + column.0] * column.2 + plane[row.0 * width + column.1] * column.3
                let bottom = plane[row.1 * width + column.0] * column.2 + plane[row.1 * width + column.1] * column.3
                output[y * toWidth + x] = top * row.2 + bottom * row.3
            }
        }
        return output
    }
}
