import LoomImaging


/// ComfyUI's helpers on [batch, channels, height, width] tensors (`common_upscale`,
/// `resize_to_batch_size`), built on LoomImaging's PyTorch-exact resampling of planes.
extension HostTensor {
    /// Each plane resized to `height` × `width` (`common_upscale`; `centerCrop` first cuts the
    /// source to the target's aspect ratio).
    public func resizedPlanes(height newHeight: Int, width newWidth: Int, method: ResamplingMethod,
                              centerCrop: Bool = false) -> HostTensor {
        precondition(rank == 4, "planes need a [batch, channels, height, width] tensor, not \(shape)")
        let (batch, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        if height == newHeight && width == newWidth && !centerCrop { return self }
        let planes = Image(batchCount: batch * channels, height: height, width: width, channels: 1, pixels: values)
        let resized = planes.scaled(width: newWidth, height: newHeight, method: method, centerCrop: centerCrop)
        return HostTensor(shape: [batch, channels, newHeight, newWidth], values: resized.pixels)
    }

    /// ComfyUI's `resize_to_batch_size`: items picked evenly, repeated when growing.
    public func resizedToBatch(_ batchSize: Int) -> HostTensor {
        let inBatch = shape[0]
        if inBatch == batchSize { return self }
        let itemCount = count / max(inBatch, 1)
        let picks: [Int]
        if batchSize <= 1 {
            picks = Array(0..<min(batchSize, inBatch))
        } else if batchSize < inBatch {
            let scale = Double(inBatch - 1) / Double(batchSize - 1)
            picks = (0..<batchSize).map { min(Int((Double($0) * scale).rounded(.toNearestOrEven)), inBatch - 1) }
        } else {
            let scale = Double(inBatch) / Double(batchSize)
            picks = (0..<batchSize).map { min(Int(((Double($0) + 0.5) * scale).rounded(.down)), inBatch - 1) }
        }
        var output: [Float] = []
        output.reserveCapacity(picks.count * itemCount)
        for pick in picks { output += values[(pick * itemCount)..<((pick + 1) * itemCount)] }
        return HostTensor(shape: [picks.count] + shape.dropFirst(), values: output)
    }

    /// The mean over channels, keeping a channel dimension of 1.
    public func channelMean() -> HostTensor {
        let (batch, channels, planeSize) = (shape[0], shape[1], shape[2] * shape[3])
        if channels == 1 { return self }
        var output = [Float](repeating: 0, count: batch * planeSize)
        for b in 0..<batch {
            for c in 0..<channels {
                let base = (b * channels + c) * planeSize
                for i in 0..<planeSize { output[b * planeSize + i] += values[base + i] }
            }
        }
        return HostTensor(shape: [batch, 1, shape[2], shape[3]], values: output.map { $0 / Float(channels) })
    }

    /// Channel-wise concatenation of tensors with equal batch and plane sizes.
    public static func concatenatingChannels(_ parts: [HostTensor]) -> HostTensor {
        let batch = parts[0].shape[0], plane = parts[0].shape[2] * parts[0].shape[3]
        var output: [Float] = []
        output.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for b in 0..<batch {
            for part in parts {
                let itemCount = part.shape[1] * plane
                output += part.values[(b * itemCount)..<((b + 1) * itemCount)]
            }
        }
        return HostTensor(shape: [batch, parts.reduce(0) { $0 + $1.shape[1] }, parts[0].shape[2], parts[0].shape[3]],
                          values: output)
    }
}
