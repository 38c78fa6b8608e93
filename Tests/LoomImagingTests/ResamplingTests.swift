import ImagingTestSupport
import LoomImaging
import Testing

@Suite struct ResamplingTests {
    /// ImageScale's size rules, as in ComfyUI's node: 0 keeps the aspect ratio (Python rounding).
    static func targetSize(of image: Image, width: Int, height: Int) -> (Int, Int) {
        if width == 0 && height == 0 { return (image.width, image.height) }
        if width == 0 {
            return (max(1, Int((Double(image.width) * Double(height) / Double(image.height)).rounded(.toNearestOrEven))), height)
        }
        if height == 0 {
            return (width, max(1, Int((Double(image.height) * Double(width) / Double(image.width)).rounded(.toNearestOrEven))))
        }
        return (width, height)
    }

    @Test func scalingMatchesComfyUI() throws {
        let cases = Fixtures.cases(kind: "scale")
        #expect(cases.count >= 29)
        for (name, parameters) in cases {
            let input = try Fixtures.image(parameters["input"] as! String)
            let method = try #require(ResamplingMethod(rawValue: parameters["method"] as! String))
            let (width, height) = Self.targetSize(
                of: input, width: parameters["width"] as! Int, height: parameters["height"] as! Int)
            let output = input.scaled(
                width: width, height: height, method: method, centerCrop: parameters["crop"] as! String == "center")
            // Far inside the 1/255 budget: float filters differ only in rounding, and 8-bit lanczos is exact.
            let difference = largestDifference(output, try Fixtures.image(name))
            #expect(difference != nil && difference! < 1e-5, "\(name): largest difference \(String(describing: difference))")
        }
    }

    /// PyTorch picks source `floorf((i + 0.5) · scale)`: the product is rounded to float32 before the floor, so
    /// 4.5 · (40 / 6) = 29.9999993 takes row 30 (torch gives 3, 10, 16, 23, 30, 36).
    @Test func nearestExactFloorsLikePyTorch() {
        let column = Image(batchCount: 1, height: 40, width: 1, channels: 1, pixels: (0..<40).map(Float.init))
        #expect(column.resized(width: 1, height: 6, method: .nearestExact).pixels == [3, 10, 16, 23, 30, 36])
    }

    @Test func scaleByRoundsLikePython() throws {
        for (name, parameters) in Fixtures.cases(kind: "scale_by") {
            let input = try Fixtures.image(parameters["input"] as! String)
            let factor = parameters["scale_by"] as! Double
            let method = try #require(ResamplingMethod(rawValue: parameters["method"] as! String))
            let output = input.resized(
                width: Int((Double(input.width) * factor).rounded(.toNearestOrEven)),
                height: Int((Double(input.height) * factor).rounded(.toNearestOrEven)), method: method)
            let difference = largestDifference(output, try Fixtures.image(name))
            #expect(difference != nil && difference! < 1e-5, "\(name): largest difference \(String(describing: difference))")
        }
    }

    @Test func lanczosKeepsSizeButQuantizesToEightBits() {
        let image = Image(batchCount: 1, height: 1, width: 2, channels: 3, pixels: [0.5, 0.999, 1.2, -0.1, 0.25, 0.7])
        let output = image.resized(width: 2, height: 1, method: .lanczos)
        #expect(output.pixels == [127, 254, 255, 0, 63, 178].map { Float($0) / 255 })
    }

    @Test func unchangedSizeIsIdentityForFloatFilters() {
        let image = Image(batchCount: 1, height: 2, width: 2, channels: 3, pixels: (0..<12).map { Float($0) / 7 - 0.2 })
        for method in [ResamplingMethod.nearestExact, .bilinear, .bicubic, .area] {
            #expect(image.resized(width: 2, height: 2, method: method) == image)
        }
    }

    @Test func emptySourcesResampleToZeros() {
        let empty = Mask(batchCount: 1, height: 0, width: 3, values: [])
        for method in ResamplingMethod.allCases {
            #expect(empty.resized(width: 2, height: 2, method: method) == Mask(height: 2, width: 2, repeating: 0))
        }
    }

    @Test func masksResampleLikeSingleChannelImages() throws {
        let mask = try Fixtures.mask("mask_9x11")
        let asImage = mask.image(channels: 1).resized(width: 4, height: 5, method: .bilinear)
        let resized = mask.resized(width: 4, height: 5, method: .bilinear)
        #expect(resized.values == asImage.pixels)
        #expect(resized.height == 5 && resized.width == 4 && resized.batchCount == 2)
    }
}
