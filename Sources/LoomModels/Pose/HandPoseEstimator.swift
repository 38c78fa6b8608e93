import LoomImaging

/// The annotator's hand estimation (`Hand.__call__`) on a square crop around a wrist: the crop blurred
/// (σ 0.8), the network run at four sizes (184, 368, 552 and 736 pixels), the heatmaps averaged at 128 × 128,
/// and for each of the 21 points the maximum of the strongest connected region of the smoothed map.
public struct HandPoseEstimator: Sendable {
    static let sizes: [Double] = [0.5, 1.0, 1.5, 2.0].map { $0 * 368 }
    static let averageSize = 128
    static let threshold = 0.05
    public static let pointCount = 21

    public let network: any KeypointHeatmapNetwork

    public init(network: any KeypointHeatmapNetwork) {
        self.network = network
    }

    /// 21 points in the crop's pixels; (0, 0) where nothing was found.
    public func estimate(_ crop: ByteImage) throws -> [(x: Int, y: Int)] {
        guard crop.height > 0 && crop.width > 0 else { throw PoseEstimationError.invalidInput("the hand crop is empty") }
        let blurred = OpenCVResize.gaussianBlur(crop, sigma: 0.8)
        let size = Self.averageSize
        var average = [[Double]](repeating: [Double](repeating: 0, count: size * size), count: Self.pointCount + 1)
        for target in Self.sizes {
            let resized = try AnnotatorResizing.resize(blurred, height: target, width: target)
            let padded = AnnotatorResizing.padToMultiple(resized, of: 8, value: 128)
            let heatmaps = try network.heatmaps(AnnotatorResizing.networkInput(padded.image))
            guard heatmaps.shape == [1, Self.pointCount + 1, padded.image.height / 8, padded.image.width / 8] else {
                throw PoseEstimationError.invalidInput("the hand network returned \(heatmaps.shape) for a \(padded.image.height) × \(padded.image.width) input")
            }
            let planes = AnnotatorResizing.outputPlanes(heatmaps, stride: 8, cropHeight: resized.height, cropWidth: resized.width,
                                                        height: size, width: size)
            for (channel, plane) in planes.enumerated() {
                for i in 0..<plane.count { average[channel][i] += Double(plane[i] / Float(Self.sizes.count)) }
            }
        }
        return (0..<Self.pointCount).map { part in
            peak(average[part], cropHeight: crop.height, cropWidth: crop.width)
        }
    }

    /// The maximum of the map inside its strongest region (by summed unsmoothed value) of the smoothed map
    /// above the threshold, 8-connected; scaled from 128 × 128 to the crop.
    func peak(_ map: [Double], cropHeight: Int, cropWidth: Int) -> (x: Int, y: Int) {
        let size = Self.averageSize
        let smoothed = SciPyGaussianFilter.apply(map, height: size, width: size, sigma: 3)
        let labels = ConnectedRegions.label(smoothed.map { $0 > Self.threshold }, height: size, width: size)
        guard labels.count > 0 else { return (0, 0) }
        var sums = [Double](repeating: 0, count: labels.count + 1)
        for (index, label) in labels.labels.enumerated() where label > 0 { sums[label] += map[index] }
        var strongest = 1
        for label in 1...labels.count where sums[label] > sums[strongest] { strongest = label }
        var best = -Double.infinity, bestIndex = 0
        for (index, label) in labels.labels.enumerated() {
            let value = label == strongest ? map[index] : 0
            if value > best {
                best = value
                bestIndex = index
            }
        }
        let y = Int(Double(bestIndex / size) * Double(cropHeight) / Double(size))
        let x = Int(Double(bestIndex % size) * Double(cropWidth) / Double(size))
        return (x, y)
    }
}

/// scikit-image's `label(binary, connectivity=2)`: 8-connected regions numbered from 1 in the order their
/// first pixel appears in a row-major scan; 0 is the background.
enum ConnectedRegions {
    static func label(_ mask: [Bool], height: Int, width: Int) -> (labels: [Int], count: Int) {
        var labels = [Int](repeating: 0, count: mask.count)
        var count = 0
        var stack: [Int] = []
        for start in mask.indices where mask[start] && labels[start] == 0 {
            count += 1
            labels[start] = count
            stack.append(start)
            while let index = stack.popLast() {
                let y = index / width, x = index % width
                for dy in -1...1 {
                    for dx in -1...1 {
                        let ny = y + dy, nx = x + dx
                        guard ny >= 0, ny < height, nx >= 0, nx < width else { continue }
                        let neighbour = ny * width + nx
                        if mask[neighbour] && labels[neighbour] == 0 {
                            labels[neighbour] = count
                            stack.append(neighbour)
                        }
                    }
                }
            }
        }
        return (labels, count)
    }
}
