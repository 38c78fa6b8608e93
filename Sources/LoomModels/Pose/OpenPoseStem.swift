extension ConvolutionChain.Layer {
    /// The VGG-19 layers every OpenPose network (body, hand, face) starts with, under the same names.
    static let openPoseStem: [ConvolutionChain.Layer] = [
            .convolution("conv1_1", kernel: 3, relu: true), .convolution("conv1_2", kernel: 3, relu: true), .maxPool,
            .convolution("conv2_1", kernel: 3, relu: true), .convolution("conv2_2", kernel: 3, relu: true), .maxPool,
            .convolution("conv3_1", kernel: 3, relu: true), .convolution("conv3_2", kernel: 3, relu: true),
            .convolution("conv3_3", kernel: 3, relu: true), .convolution("conv3_4", kernel: 3, relu: true), .maxPool,
    ]
}
