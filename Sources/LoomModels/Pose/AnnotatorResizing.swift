import LoomImaging

/// The annotator's resizing helpers (`smart_resize`, `smart_resize_k`, `padRightDownCorner`) and its way of
/// feeding an 8-bit image to a network.
enum AnnotatorResizing {
    /// `smart_resize`'s choice: INTER_AREA when the sizes shrink on the whole, Lanczos otherwise.
    static func interpolation(from source: (height: Int, width: Int), to target: (height: Double, width: Double)) -> OpenCVInterpolation {
        (target.height + target.width) / Double(source.height + source.width) < 1 ? .area : .lanczos4
    }

    /// `smart_resize(image, (height, width))` / `smart_resize_k`: the target truncated to whole pixels.
    static func resize(_ image: ByteImage, height: Double, width: Double) throws -> ByteImage {
        let (rows, columns) = try wholePixels(height: height, width: width)
        return OpenCVResize.resize(image, height: rows, width: columns,
                                   interpolation: interpolation(from: (image.height, image.width), to: (height, width)))
    }

    static func wholePixels(height: Double, width: Double) throws -> (Int, Int) {
        guard height.isFinite, width.isFinite, height >= 1, width >= 1, height * width <= Double(1 << 28) else {
            throw PoseEstimationError.invalidInput("the image would be resized to \(width) × \(height) pixels, which cannot be done")
        }
        return (Int(height), Int(width))
    }

    /// `padRightDownCorner`: rows and columns of `value` up to multiples of `stride`; returns the padding added.
    static func padToMultiple(_ image: ByteImage, of stride: Int, value: UInt8) -> (image: ByteImage, bottom: Int, right: Int) {
        let bottom = image.height % stride == 0 ? 0 : stride - image.height % stride
        let right = image.width % stride == 0 ? 0 : stride - image.width % stride
        return (image.padded(bottom: bottom, right: right, value: value), bottom, right)
    }

    /// `np.transpose(np.float32(image[..., None]), (3, 2, 0, 1)) / 256 − 0.5`: a [1, C, H, W] tensor.
    static func networkInput(_ image: ByteImage) -> HostTensor {
        let plane = image.height * image.width
        var values = [Float](repeating: 0, count: image.channels * plane)
        for pixel in 0..<plane {
            for channel in 0..<image.channels {
                values[channel * plane + pixel] = Float(image.samples[pixel * image.channels + channel]) / 256 - 0.5
            }
        }
        return HostTensor(shape: [1, image.channels, image.height, image.width], values: values)
    }

    /// Each channel of a [1, C, h, w] network output upsampled ×`stride` (Lanczos), cut to `cropHeight` × `cropWidth`
    /// (the unpadded input), then resized to `height` × `width` as `smart_resize` does; float32 values.
    static func outputPlanes(_ output: HostTensor, stride: Int, cropHeight: Int, cropWidth: Int, height: Int, width: Int) -> [[Float]] {
        let channels = output.shape[1], rows = output.shape[2], columns = output.shape[3]
        let plane = rows * columns
        let interpolation = interpolation(from: (cropHeight, cropWidth), to: (Double(height), Double(width)))
        return concurrentMap(channels) { channel in
            let values = Array(output.values[(channel * plane)..<((channel + 1) * plane)])
            let upsampled = OpenCVResize.resize(plane: values, height: rows, width: columns, toHeight: rows * stride,
                                                toWidth: columns * stride, interpolation: .lanczos4)
            var cropped = [Float]()
            cropped.reserveCapacity(cropHeight * cropWidth)
            for y in 0..<cropHeight {
                let start = y * columns * stride
                cropped.append(contentsOf: upsampled[start..<(start + cropWidth)])
            }
            return OpenCVResize.resize(plane: cropped, height: cropHeight, width: cropWidth, toHeight: height, toWidth: width,
                                       interpolation: interpolation)
        }
    }
}
