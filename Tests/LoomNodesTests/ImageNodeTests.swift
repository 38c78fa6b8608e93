import ImagingTestSupport
import Foundation
import LoomGraph
import LoomImaging
import LoomNodes
import Testing

@Suite struct ImageNodeTests {
    static func run<N: Node>(
        _ type: N.Type, _ values: [String: NodeValue], resources: Resources = Resources()
    ) async throws -> NodeResult {
        try await N().execute(
            NodeInputs(values, nodeID: "1", classType: N.schema.name),
            context: NodeContext(nodeID: "1", promptID: "p", resources: resources))
    }

    static func resources(_ temporary: TemporaryFolders) -> Resources {
        let resources = Resources()
        temporary.folders.register(in: resources)
        return resources
    }

    static func pngBytes(channels: Int, width: Int = 3, height: Int = 2) throws -> [UInt8] {
        try RasterImage(
            width: width, height: height, channels: channels, bitDepth: 8,
            samples: (0..<(width * height * channels)).map { UInt16(($0 * 37) % 256) }
        ).encodedPNG()
    }

    // MARK: LoadImage

    @Test func loadImageGivesRGBAndInverseAlpha() async throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        try temporary.write(try Self.pngBytes(channels: 4), to: temporary.folders.input + "/rgba.png")
        let result = try await Self.run(LoadImage.self, ["image": "rgba.png"], resources: Self.resources(temporary))
        let image = try #require(result.outputs[0] as? Image)
        let mask = try #require(result.outputs[1] as? Mask)
        #expect(image.channels == 3 && image.width == 3 && image.height == 2)
        #expect(image[0, 0, 1, 0] == Float(148) / 255)  // sample 4 of the RGBA data
        #expect(mask.width == 3 && abs(mask[0, 0, 0] - (1 - Float(111) / 255)) < 1e-6)
    }

    @Test func loadImageWithoutAlphaGivesTheEmpty64Mask() async throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        try temporary.write(try Self.pngBytes(channels: 3), to: temporary.folders.input + "/rgb.png")
        let result = try await Self.run(LoadImage.self, ["image": "rgb.png"], resources: Self.resources(temporary))
        #expect(result.outputs[1] as? Mask == Mask(height: 64, width: 64, repeating: 0))
    }

    @Test func loadImageGivesEveryFrameOfAnAnimatedWebPAsABatch() async throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        let bytes = [UInt8](try Data(contentsOf: Fixtures.url("webp_animated.webp")))
        try temporary.write(bytes, to: temporary.folders.input + "/moving.webp")
        let result = try await Self.run(LoadImage.self, ["image": "moving.webp"], resources: Self.resources(temporary))
        let image = try #require(result.outputs[0] as? Image)
        let mask = try #require(result.outputs[1] as? Mask)
        #expect(largestDifference(image, try Fixtures.image("webp_animated_image")) == 0)
        #expect(mask == (try Fixtures.mask("webp_animated_mask")))
        #expect(image.batchCount == 3 && mask.batchCount == 3)
    }

    @Test func loadImageFingerprintIsTheFileSHA256() throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        try temporary.write(Array("abc".utf8), to: temporary.folders.input + "/abc.png")
        let fingerprint = try LoadImage.fingerprint(NodeInputs(["image": "abc.png"]), resources: Self.resources(temporary))
        #expect(fingerprint == .value("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
    }

    @Test func loadImageValidationNamesTheMissingFile() throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        let resources = Self.resources(temporary)
        let message = try #require(LoadImage.validate(NodeInputs(["image": "gone.png"]), resources: resources))
        #expect(message.hasPrefix("Invalid image file: gone.png") && message.contains("input folder"))
        try temporary.write([0], to: temporary.folders.input + "/here.png")
        #expect(LoadImage.validate(NodeInputs(["image": "here.png"]), resources: resources) == nil)
        #expect(LoadImage.validate(NodeInputs(["image": "../output/x.png"]), resources: resources) != nil)
    }

    @Test func loadImageFailsClearlyOnDamagedFiles() async throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        try temporary.write(Array(try Self.pngBytes(channels: 3).prefix(45)), to: temporary.folders.input + "/cut.png")
        await #expect {
            try await Self.run(LoadImage.self, ["image": "cut.png"], resources: Self.resources(temporary))
        } throws: { error in
            let text = String(describing: error)
            return text.hasPrefix("LoadImage:") && text.contains("cut.png") && text.contains("damaged")
        }
    }

    @Test func loadImageMaskReadsOneChannel() async throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        let resources = Self.resources(temporary)
        try temporary.write(try Self.pngBytes(channels: 4), to: temporary.folders.input + "/rgba.png")
        try temporary.write(try Self.pngBytes(channels: 1), to: temporary.folders.input + "/grey.png")
        let alpha = try await Self.run(LoadImageMask.self, ["image": "rgba.png", "channel": "alpha"], resources: resources)
        #expect(abs(((alpha.outputs[0] as? Mask)?[0, 0, 0] ?? -1) - (1 - Float(111) / 255)) < 1e-6)
        let green = try await Self.run(LoadImageMask.self, ["image": "rgba.png", "channel": "green"], resources: resources)
        #expect((green.outputs[0] as? Mask)?[0, 0, 1] == Float(185) / 255)  // sample 5 of the RGBA data
        // Grey has no alpha: ComfyUI's RGBA conversion makes it opaque, so the mask is empty at full size.
        let opaque = try await Self.run(LoadImageMask.self, ["image": "grey.png", "channel": "alpha"], resources: resources)
        #expect(opaque.outputs[0] as? Mask == Mask(height: 2, width: 3, repeating: 0))
        let grey = try await Self.run(LoadImageMask.self, ["image": "grey.png", "channel": "blue"], resources: resources)
        #expect((grey.outputs[0] as? Mask)?[0, 0, 1] == Float(37) / 255)
    }

    // MARK: SaveImage and PreviewImage

    @Test func saveImageNumbersFilesAndEmbedsTheWorkflow() async throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        let resources = Self.resources(temporary)
        let output = temporary.folders.output
        try temporary.write([0], to: output + "/shots/cat_00004_.png")
        let images = Image(batchCount: 2, height: 2, width: 3, channels: 3, repeating: 0.5)
        let prompt: JSONValue = ["1": ["class_type": "SaveImage", "inputs": ["filename_prefix": "shots/cat"]]]
        let extra: JSONValue = ["workflow": ["nodes": [], "note": "caf\u{E9} \u{1F600}"]]
        let result = try await Self.run(
            SaveImage.self, ["images": images, "filename_prefix": "shots/cat", "prompt": prompt, "extra_pnginfo": extra],
            resources: resources)
        #expect(result.ui == ["images": [
            ["filename": "cat_00005_.png", "subfolder": "shots", "type": "output"],
            ["filename": "cat_00006_.png", "subfolder": "shots", "type": "output"],
        ]])
        let saved = try ImageFile.read(at: output + "/shots/cat_00006_.png")
        #expect(saved.width == 3 && saved.channels == 3 && saved.samples.allSatisfy { $0 == 127 })
        #expect(saved.text("prompt") == #"{"1": {"class_type": "SaveImage", "inputs": {"filename_prefix": "shots/cat"}}}"#)
        #expect(saved.text("workflow") == #"{"nodes": [], "note": "caf\u00e9 \ud83d\ude00"}"#)
        #expect(try JSONValue(parsing: saved.text("workflow")!) == extra["workflow"])

        let again = try await Self.run(SaveImage.self, ["images": images.frame(0), "filename_prefix": "shots/cat"], resources: resources)
        #expect(again.ui?["images"]?.arrayValue?.first?["filename"] == "cat_00007_.png")
    }

    @Test func saveImageReportsAnUnwritableOutput() async throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        let resources = Self.resources(temporary)
        // A plain file where the subfolder should be.
        try temporary.write([0], to: temporary.folders.output + "/blocked")
        let images = Image(height: 1, width: 1, repeating: 0)
        await #expect {
            try await Self.run(SaveImage.self, ["images": images, "filename_prefix": "blocked/x"], resources: resources)
        } throws: { error in
            String(describing: error).hasPrefix("SaveImage: cannot create the folder for 'blocked/x'")
        }
        await #expect {
            try await Self.run(SaveImage.self, ["images": images, "filename_prefix": "../x"], resources: resources)
        } throws: { error in
            String(describing: error).contains("filename_prefix") && String(describing: error).contains("..")
        }
    }

    @Test func previewImageWritesToTempWithARandomSuffix() async throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        let result = try await Self.run(
            PreviewImage.self, ["images": Image(height: 1, width: 1, repeating: 1)], resources: Self.resources(temporary))
        let entry = try #require(result.ui?["images"]?.arrayValue?.first)
        #expect(entry["type"] == "temp" && entry["subfolder"] == "")
        let name = try #require(entry["filename"]?.stringValue)
        #expect(name.wholeMatch(of: /ComfyUI_temp_[a-z]{5}_00001_\.png/) != nil, "\(name)")
        #expect(FileManager.default.fileExists(atPath: temporary.folders.temp + "/" + name))
    }

    // MARK: Transforms

    @Test func imageScaleKeepsAspectWhenOneSideIsZero() async throws {
        let image = Image(height: 4, width: 10, repeating: 0.3)
        let result = try await Self.run(
            ImageScale.self, ["image": image, "upscale_method": "area", "width": 0, "height": 5, "crop": "disabled"])
        let scaled = try #require(result.outputs[0] as? Image)
        #expect(scaled.width == 12 && scaled.height == 5)  // round(10·5/4 = 12.5) is 12 in Python
        let same = try await Self.run(
            ImageScale.self, ["image": image, "upscale_method": "bicubic", "width": 0, "height": 0, "crop": "center"])
        #expect(same.outputs[0] as? Image == image)
    }

    @Test func imageScaleToTotalPixelsKeepsAspect() async throws {
        let image = Image(height: 3, width: 4, repeating: 0.5)
        let result = try await Self.run(
            ImageScaleToTotalPixels.self, ["image": image, "upscale_method": "bilinear", "megapixels": 0.01])
        // total = int(0.01 · 2²⁰) = 10485; scale = √(10485 / 12); round(4 · 29.56) = 118, round(3 · 29.56) = 89.
        let scaled = try #require(result.outputs[0] as? Image)
        #expect(scaled.width == 118 && scaled.height == 89)
    }

    @Test func emptyImagesFailScalingWithAMessageInsteadOfCrashing() async throws {
        let empty = Image(batchCount: 1, height: 0, width: 4, channels: 3, pixels: [])
        await #expect {
            try await Self.run(ImageScaleBy.self, ["image": empty, "upscale_method": "bilinear", "scale_by": 2.0])
        } throws: { String(describing: $0).contains("empty") }
        let fiveChannels = Image(height: 1, width: 1, channels: 5, repeating: 0)
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        await #expect {
            try await Self.run(
                SaveImage.self, ["images": fiveChannels, "filename_prefix": "x"], resources: Self.resources(temporary))
        } throws: { String(describing: $0).contains("5") }
    }

    @Test func imageCropClampsTheOriginToTheLastPixel() async throws {
        let image = Image(batchCount: 1, height: 2, width: 3, channels: 3, pixels: (0..<18).map(Float.init))
        let result = try await Self.run(ImageCrop.self, ["image": image, "width": 512, "height": 512, "x": 10, "y": 1])
        #expect(result.outputs[0] as? Image == Image(batchCount: 1, height: 1, width: 1, channels: 3, pixels: [15, 16, 17]))
    }

    @Test func maskNodesConvertThresholdAndInvert() async throws {
        let image = Image(batchCount: 1, height: 1, width: 2, channels: 3, pixels: [0.1, 0.2, 0.3, 0.6, 0.7, 0.8])
        let green = try await Self.run(ImageToMask.self, ["image": image, "channel": "green"])
        let mask = try #require(green.outputs[0] as? Mask)
        #expect(mask.values == [0.2, 0.7])
        await #expect {
            try await Self.run(ImageToMask.self, ["image": image, "channel": "alpha"])
        } throws: { String(describing: $0).contains("no 'alpha'") }

        let threshold = try await Self.run(ThresholdMask.self, ["mask": mask, "value": 0.5])
        #expect((threshold.outputs[0] as? Mask)?.values == [0, 1])
        let inverted = try await Self.run(InvertMask.self, ["mask": mask])
        #expect((inverted.outputs[0] as? Mask)?.values == [0.8, 1 - Float(0.7)])
        let solid = try await Self.run(SolidMask.self, ["value": 0.25, "width": 3, "height": 2])
        #expect(solid.outputs[0] as? Mask == Mask(height: 2, width: 3, repeating: 0.25))
        let back = try await Self.run(MaskToImage.self, ["mask": mask])
        #expect((back.outputs[0] as? Image)?.pixels == [0.2, 0.2, 0.2, 0.7, 0.7, 0.7])
    }

    @Test func batchNodesRepeatPickAndMeasure() async throws {
        let image = Image(batchCount: 2, height: 1, width: 2, channels: 3, pixels: (0..<12).map(Float.init))
        let repeated = try #require(try await Self.run(RepeatImageBatch.self, ["image": image, "amount": 3]).outputs[0] as? Image)
        #expect(repeated.batchCount == 6 && repeated.frame(4) == image.frame(0))
        let picked = try await Self.run(ImageFromBatch.self, ["image": image, "batch_index": 7, "length": 4])
        #expect(picked.outputs[0] as? Image == image.frame(1))
        let size = try await Self.run(GetImageSize.self, ["image": image])
        #expect(size.outputs.compactMap { $0 as? Int } == [2, 1, 2])
        let empty = try await Self.run(EmptyImage.self, ["width": 2, "height": 1, "batch_size": 1, "color": 0xFF8000])
        #expect((empty.outputs[0] as? Image)?.pixels == [1, Float(128) / 255, 0, 1, Float(128) / 255, 0])
    }

    @Test func imageBlankCutsSidesToMultiplesOfEight() async throws {
        let result = try await Self.run(ImageBlank.self, ["width": 21, "height": 9, "red": 255, "green": 0, "blue": 51])
        let image = try #require(result.outputs[0] as? Image)
        #expect(image.width == 16 && image.height == 8 && image.channels == 3)
        #expect(Array(image.pixels.prefix(3)) == [1, 0, 0.2])
        #expect(NodeLibrary.registry["Image Blank"] != nil)
    }

    @Test func imageStitchWithoutSecondImageReturnsTheFirst() async throws {
        let image = Image(height: 2, width: 2, repeating: 0.4)
        let result = try await Self.run(
            ImageStitch.self,
            ["image1": image, "direction": "left", "match_image_size": true, "spacing_width": 4, "spacing_color": "red"])
        #expect(result.outputs[0] as? Image == image)
    }

    // MARK: Whole prompts

    @Test func promptLoadsScalesAndSavesThenReusesTheCache() async throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        let resources = Self.resources(temporary)
        let inputPath = temporary.folders.input + "/photo.png"
        try temporary.write(try Self.pngBytes(channels: 4, width: 6, height: 4), to: inputPath)
        let prompt = try Prompt(parsing: """
            {"1": {"class_type": "LoadImage", "inputs": {"image": "photo.png"}},
             "2": {"class_type": "ImageScale", "inputs": {"image": ["1", 0], "upscale_method": "lanczos",
                   "width": 3, "height": 0, "crop": "disabled"}},
             "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "run"}}}
            """)
        let validated = try Validator(registry: NodeLibrary.registry, resources: resources).validate(prompt)
        let executor = Executor(registry: NodeLibrary.registry, resources: resources)
        let workflow: JSONValue = ["last_node_id": 3, "nodes": []]
        let first = await executor.run(validated, extraData: ["extra_pnginfo": ["workflow": workflow]])
        #expect(first.succeeded, "\(first.status)")
        #expect(first.outputs["3"] == ["images": [["filename": "run_00001_.png", "subfolder": "", "type": "output"]]])
        let saved = try ImageFile.read(at: temporary.folders.output + "/run_00001_.png")
        #expect(saved.width == 3 && saved.height == 2)
        #expect(try JSONValue(parsing: saved.text("prompt")!) == prompt.json)
        #expect(try JSONValue(parsing: saved.text("workflow")!) == workflow)

        let second = await executor.run(validated)
        #expect(second.executedNodes.isEmpty && second.cachedNodes.contains("3"), "\(second.cachedNodes)")

        // Editing the file changes LoadImage's fingerprint, so everything downstream runs again.
        try temporary.write(try Self.pngBytes(channels: 3, width: 6, height: 4), to: inputPath)
        let third = await executor.run(validated)
        #expect(third.executedNodes == ["1", "2", "3"])
    }

    @Test func twoSavesOfOneSourceGetTheirOwnFiles() async throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        let resources = Self.resources(temporary)
        let prompt = try Prompt(parsing: """
            {"1": {"class_type": "EmptyImage", "inputs": {"width": 4, "height": 2, "batch_size": 1, "color": 255}},
             "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "same"}},
             "3": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "same"}}}
            """)
        let validated = try Validator(registry: NodeLibrary.registry, resources: resources).validate(prompt)
        let outcome = await Executor(registry: NodeLibrary.registry, resources: resources).run(validated)
        #expect(outcome.succeeded)
        let names = ["2", "3"].compactMap { outcome.outputs[$0]?["images"]?.arrayValue?.first?["filename"]?.stringValue }
        #expect(Set(names) == ["same_00001_.png", "same_00002_.png"])
    }

    @Test func promptWithAMissingImageFailsValidation() throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        let prompt = try Prompt(parsing: """
            {"1": {"class_type": "LoadImage", "inputs": {"image": "nowhere.png"}},
             "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}}
            """)
        #expect {
            try Validator(registry: NodeLibrary.registry, resources: Self.resources(temporary)).validate(prompt)
        } throws: { error in
            guard let error = error as? PromptValidationError, let issue = error.nodeErrors["1"]?.errors.first else { return false }
            return issue.type == "custom_validation_failed" && issue.details.contains("nowhere.png")
        }
    }
}

@Suite struct ImageDiskCacheTests {
    @Test func imagesAndMasksRoundTripThroughTheDiskCacheCodecs() throws {
        let image = Image(batchCount: 2, height: 1, width: 3, channels: 4, pixels: (0..<24).map { Float($0) / 7 - 1 })
        let mask = Mask(batchCount: 1, height: 2, width: 2, values: [0, 0.25, -1, .infinity])
        let codecs = NodeLibrary.diskCacheCodecs
        let imageType = try #require(codecs.type(named: "image"))
        let maskType = try #require(codecs.type(named: "mask"))
        #expect(try imageType.init(diskCacheEncoding: try image.diskCacheEncoding()) as? Image == image)
        #expect(try maskType.init(diskCacheEncoding: try mask.diskCacheEncoding()) as? Mask == mask)
        var damaged = try image.diskCacheEncoding()
        damaged.removeLast()
        #expect(throws: DiskCacheDecodingError.self) { try Image(diskCacheEncoding: damaged) }
        #expect(throws: DiskCacheDecodingError.self) { try Mask(diskCacheEncoding: try image.diskCacheEncoding()) }
    }
}
