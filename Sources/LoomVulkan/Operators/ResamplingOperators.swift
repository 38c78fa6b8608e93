/// Spatial resampling of NCHW tensors: resizing (resize.comp) and pooling (pool2d.comp).

/// How `resized` interpolates, as PyTorch's `interpolate` modes.
public enum ResizeMode: UInt32, Sendable {
    case nearest = 0
    /// align_corners=False.
    case bilinear
}

/// Which reduction a pooling window applies.
public enum PoolingMode: Sendable {
    case max
    /// The window sum divided by the window size, padding included (count_include_pad=True).
    case average
}

extension CommandRecorder {
    /// An f32 [N, C, H, W] view resized to [N, C, height, width], stored in `layout`.
    public func resized(_ x: Tensor, height: Int, width: Int, mode: ResizeMode = .nearest,
                        layout: ActivationLayout = .contiguous) throws(VulkanError) -> Tensor {
        try requireSpatial(x, "resized")
        guard height > 0, width > 0 else { throw .invalidArgument("resized: target size \(height)×\(width) must be positive") }
        let (batch, channels) = (x.shape[0], x.shape[1])
        let output = layout == .channelsLast
            ? try context.makeTensor(shape: [batch, height, width, channels]).permuted([0, 3, 1, 2])
            : try context.makeTensor(shape: [batch, channels, height, width])
        var push = PushConstants()
        push.append(x.shape)
        push.append(x.strides)
        push.append(output.strides)
        push.append([height, width, x.offset, output.offset, batch * height * width])
        let texels = context.matmulKernel == .texels
        let pipeline = try context.pipelines.pipeline(texels ? .resizeTexels : .resize, bindings: 2, texelBindings: texels ? 1 : 0,
                                                      constants: [mode.rawValue])
        try dispatch(pipeline, buffers: [x.storage, output.storage], texels: texels ? [(x.storage, .r32Float)] : [], written: [1],
                     push: push, groups: linearGroups(batch * height * width))
        return output
    }

    /// Twice the height and width, as the VAE decoder's `Upsample` (nearest) does.
    public func upsampled2x(_ x: Tensor, mode: ResizeMode = .nearest) throws(VulkanError) -> Tensor {
        try requireSpatial(x, "upsampled2x")
        return try resized(x, height: 2 * x.shape[2], width: 2 * x.shape[3], mode: mode)
    }

    /// PyTorch's `max_pool2d` / `avg_pool2d` (floor mode) over an f32 [N, C, H, W] view; `stride`
    /// defaults to the kernel size.
    public func pooled(_ x: Tensor, _ mode: PoolingMode, kernel: (y: Int, x: Int), stride: (y: Int, x: Int)? = nil,
                       padding: (y: Int, x: Int) = (0, 0)) throws(VulkanError) -> Tensor {
        try requireSpatial(x, "pooled")
        let stride = stride ?? kernel
        guard kernel.y > 0, kernel.x > 0, stride.y > 0, stride.x > 0, padding.y >= 0, padding.x >= 0,
              2 * padding.y <= kernel.y, 2 * padding.x <= kernel.x else {
            throw .invalidArgument("pooled: kernel \(kernel), stride \(stride), padding \(padding) is not a valid window (padding at most half the kernel)")
        }
        let height = Convolution2DParameters.outputSize(x.shape[2], kernel: kernel.y, stride: stride.y, padding: padding.y, dilation: 1)
        let width = Convolution2DParameters.outputSize(x.shape[3], kernel: kernel.x, stride: stride.x, padding: padding.x, dilation: 1)
        guard height > 0, width > 0 else { throw .invalidArgument("pooled: a \(kernel) window does not fit \(x.shape)") }
        let output = try context.makeTensor(shape: [x.shape[0], x.shape[1], height, width])
        var push = PushConstants()
        push.append(x.shape)
        push.append(x.strides)
        push.append([height, width, kernel.y, kernel.x, stride.y, stride.x, padding.y, padding.x, x.offset, output.offset, output.count])
        let pipeline = try context.pipelines.pipeline(.pool2d, bindings: 2, constants: [mode == .average ? 1 : 0])
        try dispatch(pipeline, buffers: [x.storage, output.storage], written: [1], push: push, groups: linearGroups(output.count))
        return output
    }

    private func requireSpatial(_ x: Tensor, _ name: String) throws(VulkanError) {
        try requireF32(x, name)
        guard x.rank == 4 else { throw .invalidArgument("\(name): input must be [N, C, H, W], not \(x.shape)") }
    }
}
