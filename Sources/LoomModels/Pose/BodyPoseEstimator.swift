import LoomImaging

/// The annotator's body estimation (`Body.__call__`) at its one scale: the image resized to 184 rows (half
/// the 368 box), padded with grey to a multiple of 8, the network's fields and heatmaps brought back to
/// the image's size, then decoded into people.
public struct BodyPoseEstimator: Sendable {
    static let networkHeight = 0.5 * 368.0
    static let stride = 8
    static let padValue: UInt8 = 128

    public let network: any BodyPoseNetwork

    public init(network: any BodyPoseNetwork) {
        self.network = network
    }

    /// People in a BGR image, points in its pixels.
    public func estimate(_ image: ByteImage) throws -> [BodyPose] {
        let maps = try self.maps(for: image)
        return BodyPoseDecoder.decode(heatmaps: maps.heatmaps, affinities: maps.affinities, height: image.height, width: image.width)
    }

    /// The network's fields (38) and heatmaps (19) at the image's size, float64 as the annotator averages them.
    public func maps(for image: ByteImage) throws -> (affinities: [[Double]], heatmaps: [[Double]]) {
        let input = try networkInput(for: image)
        let (affinities, heatmaps) = try network.affinitiesAndHeatmaps(AnnotatorResizing.networkInput(input.image))
        let rows = input.image.height / Self.stride, columns = input.image.width / Self.stride
        guard affinities.shape == [1, OpenPoseBodyNetwork.affinityChannels, rows, columns],
              heatmaps.shape == [1, OpenPoseBodyNetwork.heatmapChannels, rows, columns] else {
            throw PoseEstimationError.invalidInput("the body network returned \(affinities.shape) and \(heatmaps.shape) for a \(input.image.height) × \(input.image.width) input")
        }
        let cropHeight = input.image.height - input.bottom, cropWidth = input.image.width - input.right
        func planes(_ output: HostTensor) -> [[Double]] {
            AnnotatorResizing.outputPlanes(output, stride: Self.stride, cropHeight: cropHeight, cropWidth: cropWidth,
                                           height: image.height, width: image.width).map { $0.map(Double.init) }
        }
        return (planes(affinities), planes(heatmaps))
    }

    /// The padded image the network sees and the padding added below and to the right.
    public func networkInput(for image: ByteImage) throws -> (image: ByteImage, bottom: Int, right: Int) {
        guard image.height > 0 && image.width > 0 else { throw PoseEstimationError.invalidInput("the image is empty") }
        let scale = Self.networkHeight / Double(image.height)
        let resized = try AnnotatorResizing.resize(image, height: Double(image.height) * scale, width: Double(image.width) * scale)
        return AnnotatorResizing.padToMultiple(resized, of: Self.stride, value: Self.padValue)
    }
}
