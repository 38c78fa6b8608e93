import ImagingTestSupport
import LoomImaging
import Testing

/// Compositing, batching, padding, growing and stitching against ComfyUI's outputs.
@Suite struct CompositionTests {
    static func string(_ parameters: [String: Any], _ key: String) -> String { parameters[key] as! String }

    @Test func compositeMatchesComfyUI() throws {
        let cases = Fixtures.cases(kind: "composite")
        #expect(cases.count == 3)
        for (name, parameters) in cases {
            let destination = try Fixtures.image(Self.string(parameters, "destination"))
            let source = try Fixtures.image(Self.string(parameters, "source"))
            let mask = try (parameters["mask"] as? String).map(Fixtures.mask)
            let output = destination.compositing(
                source: source, x: parameters["x"] as! Int, y: parameters["y"] as! Int, mask: mask,
                resizeSource: parameters["resize_source"] as! Bool)
            let difference = largestDifference(output, try Fixtures.image(name))
            #expect(difference != nil && difference! < 1e-5, "\(name): largest difference \(String(describing: difference))")
        }
    }

    @Test func rgbSourceOnRGBADestinationGetsOpaqueAlpha() {
        let destination = Image(height: 2, width: 2, channels: 4, repeating: 0.25)
        let source = Image(height: 1, width: 1, channels: 3, repeating: 0.75)
        let output = destination.compositing(source: source, x: 1, y: 1)
        #expect(output[0, 1, 1, 0] == 0.75 && output[0, 1, 1, 3] == 1)
        #expect(output[0, 0, 0, 0] == 0.25 && output[0, 0, 0, 3] == 0.25)
    }

    @Test func sourceOutsideTheDestinationChangesNothing() {
        let destination = Image(height: 3, width: 3, channels: 3, repeating: 0.1)
        let source = Image(height: 2, width: 2, channels: 3, repeating: 0.9)
        #expect(destination.compositing(source: source, x: 3, y: 0) == destination)
        #expect(destination.compositing(source: source, x: 50, y: 50) == destination)
    }

    @Test func batchingMatchesComfyUI() throws {
        for (name, parameters) in Fixtures.cases(kind: "batch") {
            let output = try Fixtures.image(Self.string(parameters, "image1"))
                .batched(with: try Fixtures.image(Self.string(parameters, "image2")))
            let difference = largestDifference(output, try Fixtures.image(name))
            #expect(difference != nil && difference! < 1e-5, "\(name): largest difference \(String(describing: difference))")
        }
    }

    @Test func padForOutpaintMatchesComfyUI() throws {
        let cases = Fixtures.cases(kind: "pad")
        #expect(cases.count == 3)
        for (name, parameters) in cases {
            let (image, mask) = try Fixtures.image(Self.string(parameters, "input")).paddedForOutpaint(
                left: parameters["left"] as! Int, top: parameters["top"] as! Int, right: parameters["right"] as! Int,
                bottom: parameters["bottom"] as! Int, feathering: parameters["feathering"] as! Int)
            #expect(image == (try Fixtures.image("\(name)_image")), "\(name): image")
            let difference = largestDifference(mask, try Fixtures.mask("\(name)_mask"))
            #expect(difference != nil && difference! < 1e-6, "\(name): mask difference \(String(describing: difference))")
        }
    }

    @Test func growMaskMatchesComfyUI() throws {
        let cases = Fixtures.cases(kind: "grow")
        #expect(cases.count == 4)
        for (name, parameters) in cases {
            let output = try Fixtures.mask(Self.string(parameters, "input")).grown(
                by: parameters["expand"] as! Int, taperedCorners: parameters["tapered_corners"] as! Bool)
            #expect(output == (try Fixtures.mask(name)), "\(name)")
        }
    }

    @Test func stitchMatchesComfyUI() throws {
        let cases = Fixtures.cases(kind: "stitch")
        #expect(cases.count == 4)
        for (name, parameters) in cases {
            let output = try Fixtures.image(Self.string(parameters, "image1")).stitched(
                with: try Fixtures.image(Self.string(parameters, "image2")),
                direction: try #require(StitchDirection(rawValue: Self.string(parameters, "direction"))),
                matchingSize: parameters["match_image_size"] as! Bool, spacing: parameters["spacing_width"] as! Int,
                spacingColor: try #require(StitchSpacingColor(rawValue: Self.string(parameters, "spacing_color"))))
            let difference = largestDifference(output, try Fixtures.image(name))
            #expect(difference != nil && difference! <= oneStep, "\(name): largest difference \(String(describing: difference))")
        }
    }
}

@Suite struct MaskOperationTests {
    @Test func maskCompositeMatchesComfyUI() throws {
        let cases = Fixtures.cases(kind: "mask_composite")
        #expect(cases.count == MaskOperation.allCases.count)
        for (name, parameters) in cases {
            let output = try Fixtures.mask(parameters["destination"] as! String).compositing(
                source: try Fixtures.mask(parameters["source"] as! String), x: parameters["x"] as! Int,
                y: parameters["y"] as! Int,
                operation: try #require(MaskOperation(rawValue: parameters["operation"] as! String)))
            let difference = largestDifference(output, try Fixtures.mask(name))
            #expect(difference != nil && difference! < 1e-6, "\(name): largest difference \(String(describing: difference))")
        }
    }

    @Test func featherMatchesComfyUI() throws {
        let cases = Fixtures.cases(kind: "feather")
        #expect(cases.count == 2)
        for (name, parameters) in cases {
            let output = try Fixtures.mask(parameters["input"] as! String).feathered(
                left: parameters["left"] as! Int, top: parameters["top"] as! Int, right: parameters["right"] as! Int,
                bottom: parameters["bottom"] as! Int)
            let difference = largestDifference(output, try Fixtures.mask(name))
            #expect(difference != nil && difference! < 1e-6, "\(name): largest difference \(String(describing: difference))")
        }
    }

    @Test func cropClipsToTheMask() {
        let mask = Mask(batchCount: 1, height: 2, width: 3, values: [0, 1, 2, 3, 4, 5])
        #expect(mask.cropped(x: 1, y: 1, width: 9, height: 9) == Mask(batchCount: 1, height: 1, width: 2, values: [4, 5]))
    }
}
