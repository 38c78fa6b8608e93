import LoomGraph
import LoomNodes
import Testing

/// Names, input order, defaults and outputs as ComfyUI declares them: saved workflows depend on these.
@Suite struct ImageNodeSchemaTests {
    static func widgets(_ type: any Node.Type) -> [String] {
        type.schema.inputs.filter { $0.section != .hidden }.map { spec in
            let value = spec.kind.defaultValue.map { $0.jsonText(indent: nil) } ?? spec.typeName
            return "\(spec.name)=\(value)\(spec.section == .optional ? "?" : "")"
        }
    }

    @Test func declaresComfyUIInputsAndOutputs() {
        let expected: [(any Node.Type, [String], [String])] = [
            (LoadImage.self, [#"image=COMBO"#], ["IMAGE", "MASK"]),
            (SaveImage.self, ["images=IMAGE", #"filename_prefix="ComfyUI""#], []),
            (PreviewImage.self, ["images=IMAGE"], []),
            (ImageScale.self, ["image=IMAGE", #"upscale_method="nearest-exact""#, "width=512", "height=512", #"crop="disabled""#], ["IMAGE"]),
            (ImageScaleBy.self, ["image=IMAGE", #"upscale_method="nearest-exact""#, "scale_by=1.0"], ["IMAGE"]),
            (ImageCrop.self, ["image=IMAGE", "width=512", "height=512", "x=0", "y=0"], ["IMAGE"]),
            (ImageInvert.self, ["image=IMAGE"], ["IMAGE"]),
            (ImageBatch.self, ["image1=IMAGE", "image2=IMAGE"], ["IMAGE"]),
            (ImageCompositeMasked.self, ["destination=IMAGE", "source=IMAGE", "x=0", "y=0", "resize_source=false", "mask=MASK?"], ["IMAGE"]),
            (ImagePadForOutpaint.self, ["image=IMAGE", "left=0", "top=0", "right=0", "bottom=0", "feathering=40"], ["IMAGE", "MASK"]),
            (ImageStitch.self, ["image1=IMAGE", #"direction="right""#, "match_image_size=true", "spacing_width=0", #"spacing_color="white""#, "image2=IMAGE?"], ["IMAGE"]),
            (MaskToImage.self, ["mask=MASK"], ["IMAGE"]),
            (ImageToMask.self, ["image=IMAGE", #"channel="red""#], ["MASK"]),
            (SolidMask.self, ["value=1.0", "width=512", "height=512"], ["MASK"]),
            (InvertMask.self, ["mask=MASK"], ["MASK"]),
            (ThresholdMask.self, ["mask=MASK", "value=0.5"], ["MASK"]),
            (GrowMask.self, ["mask=MASK", "expand=0", "tapered_corners=true"], ["MASK"]),
            (LoadImageMask.self, ["image=COMBO", #"channel="alpha""#], ["MASK"]),
            (ImageScaleToTotalPixels.self, ["image=IMAGE", #"upscale_method="nearest-exact""#, "megapixels=1.0"], ["IMAGE"]),
            (CropMask.self, ["mask=MASK", "x=0", "y=0", "width=512", "height=512"], ["MASK"]),
            (MaskComposite.self, ["destination=MASK", "source=MASK", "x=0", "y=0", #"operation="multiply""#], ["MASK"]),
            (FeatherMask.self, ["mask=MASK", "left=0", "top=0", "right=0", "bottom=0"], ["MASK"]),
            (ImageRotate.self, ["image=IMAGE", #"rotation="none""#], ["IMAGE"]),
            (ImageFlip.self, ["image=IMAGE", #"flip_method="x-axis: vertically""#], ["IMAGE"]),
            (RepeatImageBatch.self, ["image=IMAGE", "amount=1"], ["IMAGE"]),
            (ImageFromBatch.self, ["image=IMAGE", "batch_index=0", "length=1"], ["IMAGE"]),
            (GetImageSize.self, ["image=IMAGE"], ["INT", "INT", "INT"]),
            (EmptyImage.self, ["width=512", "height=512", "batch_size=1", "color=0"], ["IMAGE"]),
            (ImageColorToMask.self, ["image=IMAGE", "color=0"], ["MASK"]),
            (SimpleMathPlus.self, [#"value="""#, "a=*?", "b=*?", "c=*?"], ["INT", "FLOAT"]),
            (
                ImageResizeKJ.self,
                [
                    "image=IMAGE", "width=512", "height=512", #"upscale_method="nearest-exact""#, "keep_proportion=false",
                    "divisible_by=2", "get_image_size=IMAGE?", #"crop="disabled"?"#,
                ],
                ["IMAGE", "INT", "INT"]
            ),
        ]
        for (type, inputs, outputs) in expected {
            #expect(Self.widgets(type) == inputs, "\(type.schema.name)")
            #expect(type.schema.outputs.map(\.type) == outputs, "\(type.schema.name)")
            #expect(NodeLibrary.registry[type.schema.name] != nil, "\(type.schema.name) is registered")
        }
        #expect(SaveImage.schema.isOutputNode && PreviewImage.schema.isOutputNode)
        #expect(GetImageSize.schema.outputs.map(\.name) == ["width", "height", "batch_size"])
        // Saving numbers files from the folder's contents, so saves must not overlap.
        #expect(!SaveImage.runsConcurrently && !PreviewImage.runsConcurrently)
        #expect(LoadImage.runsConcurrently && ImageScale.runsConcurrently && GrowMask.runsConcurrently)
        #expect(SimpleMathPlus.runsConcurrently && ImageResizeKJ.runsConcurrently)
        #expect((ImageScale.self as any Node.Type).runsConcurrently, "the scheduler reads the flag through the Node protocol")
        #expect(SaveImage.schema.inputs.filter { $0.section == .hidden }.map(\.name) == ["prompt", "extra_pnginfo"])
    }

    @Test func loadImageOffersUploadsFromTheInputFolder() throws {
        guard case .combo(let options) = LoadImage.schema.inputs[0].kind, case .files(let folder) = options.choices else {
            Issue.record("LoadImage's image input is not a file combo")
            return
        }
        #expect(folder == "input" && options.uploadsImage)
    }

    @Test func rangesMatchComfyUI() {
        func range(_ type: any Node.Type, _ name: String) -> String {
            switch type.schema.input(named: name)?.kind {
            case .int(let o): "\(o.min?.description ?? "-")...\(o.max?.description ?? "-")/\(o.step)"
            case .float(let o): "\(o.min.map { String($0) } ?? "-")...\(o.max.map { String($0) } ?? "-")/\(o.step)"
            default: "not a number"
            }
        }
        #expect(range(ImageScale.self, "width") == "0...16384/1")
        #expect(range(ImageScaleBy.self, "scale_by") == "0.01...8.0/0.01")
        #expect(range(ImageCrop.self, "width") == "1...16384/1")
        #expect(range(ImagePadForOutpaint.self, "left") == "0...16384/8")
        #expect(range(ImagePadForOutpaint.self, "feathering") == "0...16384/1")
        #expect(range(ImageStitch.self, "spacing_width") == "0...1024/2")
        #expect(range(GrowMask.self, "expand") == "-16384...16384/1")
        #expect(range(SolidMask.self, "value") == "0.0...1.0/0.01")
    }
}
