import LoomGraph
import LoomImaging

/// Every node class Loom ships, registered under ComfyUI's class names.
public enum NodeLibrary {
    public static let nodeTypes: [any Node.Type] = [
        PrimitiveInt.self,
        PrimitiveFloat.self,
        PrimitiveString.self,
        PrimitiveStringMultiline.self,
        PrimitiveBoolean.self,
        StringConcatenate.self,
        PreviewAny.self,
        LoadImage.self,
        LoadImageMask.self,
        SaveImage.self,
        PreviewImage.self,
        ImageScale.self,
        ImageScaleBy.self,
        ImageScaleToTotalPixels.self,
        ImageCrop.self,
        ImageInvert.self,
        ImageBatch.self,
        ImageCompositeMasked.self,
        ImagePadForOutpaint.self,
        ImageStitch.self,
        ImageRotate.self,
        ImageFlip.self,
        RepeatImageBatch.self,
        ImageFromBatch.self,
        GetImageSize.self,
        EmptyImage.self,
        ImageColorToMask.self,
        ImageResizePlus.self,
        ImageCropPlus.self,
        GetImageSizePlus.self,
        SimpleMathPlus.self,
        ImageConcanate.self,
        GrowMaskWithBlur.self,
        ImageResizeKJ.self,
        ImageBlank.self,
        MaskToImage.self,
        ImageToMask.self,
        SolidMask.self,
        InvertMask.self,
        ThresholdMask.self,
        GrowMask.self,
        CropMask.self,
        MaskComposite.self,
        FeatherMask.self,
        Canny.self,
        KSampler.self,
        KSamplerAdvanced.self,
        SamplerCustom.self,
        SamplerCustomAdvanced.self,
        BasicScheduler.self,
        KSamplerSelect.self,
        RandomNoise.self,
        DisableNoise.self,
        BasicGuider.self,
        CFGGuider.self,
        DifferentialDiffusion.self,
        InpaintModelConditioning.self,
        CheckpointLoaderSimple.self,
        UNETLoader.self,
        UnetLoaderGGUF.self,
        ModelSamplingFlux.self,
        ModelSamplingDiscrete.self,
        RescaleCFG.self,
        CLIPLoader.self,
        DualCLIPLoader.self,
        CLIPTextEncode.self,
        CLIPTextEncodeFlux.self,
        CLIPTextEncodeSDXL.self,
        CLIPTextEncodeSDXLRefiner.self,
        CLIPSetLastLayer.self,
        FluxGuidance.self,
        ConditioningZeroOut.self,
        VAELoader.self,
        VAEDecode.self,
        VAEEncode.self,
        VAEDecodeTiled.self,
        VAEEncodeTiled.self,
        VAEEncodeForInpaint.self,
        EmptyLatentImage.self,
        EmptySD3LatentImage.self,
        SetLatentNoiseMask.self,
        LatentUpscale.self,
        LatentUpscaleBy.self,
    ]

    public static var registry: NodeRegistry { NodeRegistry(nodeTypes) }

    /// The output types the on-disk cache can store, beyond the graph layer's numbers, strings and JSON.
    public static var diskCacheCodecs: DiskCacheCodecs {
        var codecs = DiskCacheCodecs()
        codecs.register(Image.self)
        codecs.register(Mask.self)
        codecs.register(Latent.self)
        codecs.register(Conditioning.self)
        return codecs
    }
}
