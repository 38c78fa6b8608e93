import LoomGraph
import LoomImaging

/// KJNodes' "ImageConcanate" (sic): image2 joined to image1 in a direction; either may be an IMAGE or a
/// MASK and the output takes image1's type. With `match_image_size`, image2 is resized (antialiased
/// bicubic) to image1's height (left/right) or width (up/down); otherwise the smaller one is centred on
/// black. Shorter batches repeat their last image; missing channels are filled with 1.
public struct ImageConcanate: CPUNode {
    public static let schema = NodeSchema(
        name: "ImageConcanate", displayName: "Image Concatenate", category: "KJNodes/image",
        description: """
            Concatenates image2 to image1 in the specified direction.
            Both inputs accept IMAGE or MASK; the output type follows image1.
            """,
        inputs: [
            .link("image1", "IMAGE,MASK"),
            .link("image2", "IMAGE,MASK"),
            .combo("direction", ["right", "down", "left", "up"], default: "right"),
            .boolean("match_image_size", default: true),
        ],
        outputs: [OutputSpec("IMAGE,MASK", name: "output")], pythonModule: "custom_nodes.ComfyUI-KJNodes")

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        let first = try inputs("image1", as: NodeValue.self), second = try inputs("image2", as: NodeValue.self)
        let directionName = try inputs("direction", as: String.self)
        guard let direction = StitchDirection(rawValue: directionName) else {
            throw NodeError(Self.schema.name, "direction: unknown direction '\(directionName)'")
        }
        let matching = try inputs("match_image_size", as: Bool.self)
        if let one = ImageNodes.shape(of: first), let two = ImageNodes.shape(of: second) {
            try ImageNodes.checkJoinedSize(
                one, two, horizontal: direction == .left || direction == .right, matchingSize: matching,
                budget: context.budget, node: Self.schema.name)
        }
        switch (first, second) {
        case (let image as Image, let other as Image):
            return NodeResult([Self.concatenate(image, other, direction: direction, matchingSize: matching)])
        case (let image as Image, let mask as Mask):
            let other = mask.image(channels: image.channels)
            return NodeResult([Self.concatenate(image, other, direction: direction, matchingSize: matching)])
        case (let mask as Mask, let other as Image):
            let joined = Self.concatenate(
                mask.image(channels: 1), Self.meanOfColours(other), direction: direction, matchingSize: matching)
            return NodeResult([Mask(channel: 0, of: joined)])
        case (let mask as Mask, let other as Mask):
            let joined = Self.concatenate(
                mask.image(channels: 1), other.image(channels: 1), direction: direction, matchingSize: matching)
            return NodeResult([Mask(channel: 0, of: joined)])
        default:
            throw NodeError(Self.schema.name, "image1 and image2 must each be an IMAGE or a MASK")
        }
    }

    /// An image as a one-channel image of the mean of its first three channels.
    static func meanOfColours(_ image: Image) -> Image {
        let used = min(3, image.channels)
        let values = (0..<(image.batchCount * image.height * image.width)).map { pixel in
            (0..<used).reduce(Float(0)) { $0 + image.pixels[pixel * image.channels + $1] } / Float(used)
        }
        return Image(batchCount: image.batchCount, height: image.height, width: image.width, channels: 1, pixels: values)
    }

    static func concatenate(_ first: Image, _ second: Image, direction: StitchDirection, matchingSize: Bool) -> Image {
        let batch = max(first.batchCount, second.batchCount)
        let channels = max(first.channels, second.channels)
        var (height2, width2) = (second.height, second.width)
        if matchingSize {
            let aspect = Double(second.width) / Double(second.height)
            // Python's int(): truncation; at least one pixel so the resize is defined.
            if direction == .left || direction == .right {
                (height2, width2) = (first.height, max(1, Int(Double(first.height) * aspect)))
            } else {
                (height2, width2) = (max(1, Int(Double(first.width) / aspect)), first.width)
            }
        }
        let horizontal = direction == .left || direction == .right
        let outHeight = horizontal ? max(first.height, height2) : first.height + height2
        let outWidth = horizontal ? first.width + width2 : max(first.width, width2)
        let (firstOrigin, secondOrigin): ((x: Int, y: Int), (x: Int, y: Int)) =
            switch direction {
            case .right: ((0, (outHeight - first.height) / 2), (first.width, (outHeight - height2) / 2))
            case .left: ((width2, (outHeight - first.height) / 2), (0, (outHeight - height2) / 2))
            case .down: (((outWidth - first.width) / 2, 0), ((outWidth - width2) / 2, first.height))
            case .up: (((outWidth - first.width) / 2, height2), ((outWidth - width2) / 2, 0))
            }

        var output = Image(batchCount: batch, height: outHeight, width: outWidth, channels: channels, repeating: 0)
        for index in 0..<batch {
            let one = first.frame(min(index, first.batchCount - 1))
            var two = second.frame(min(index, second.batchCount - 1))
            if matchingSize { two = two.resized(width: width2, height: height2, method: .bicubicAntialiased) }
            output.paste(one, frame: index, at: firstOrigin)
            output.paste(two, frame: index, at: secondOrigin)
        }
        return output
    }
}

extension Image {
    /// Copies a single image into frame `frame` at `origin`; channels it lacks are set to 1.
    fileprivate mutating func paste(_ image: Image, frame: Int, at origin: (x: Int, y: Int)) {
        let (height, width, channels) = (self.height, self.width, self.channels)
        withMutablePixels { target in
            for row in 0..<image.height {
                for column in 0..<image.width {
                    let to = ((frame * height + origin.y + row) * width + origin.x + column) * channels
                    for channel in 0..<channels {
                        target[to + channel] =
                            channel < image.channels ? image[0, row, column, channel] : 1
                    }
                }
            }
        }
    }
}
