import ImagingTestSupport
import LoomImaging
import Testing

@Suite struct ImageTests {
    static let ramp = Image(batchCount: 2, height: 2, width: 3, channels: 3, pixels: (0..<36).map { Float($0) })

    @Test func indexesBatchRowColumnChannel() {
        #expect(Self.ramp[1, 1, 2, 0] == 33)
        #expect(Self.ramp.frame(1).pixels.first == 18)
    }

    @Test func cropsAndClipsToTheImage() {
        let crop = Self.ramp.cropped(x: 2, y: 1, width: 5, height: 5)
        #expect(crop.width == 1 && crop.height == 1 && crop.batchCount == 2)
        #expect(crop.pixels == [15, 16, 17, 33, 34, 35])
    }

    @Test func repeatsAndCutsBatches() {
        #expect(Self.ramp.repeated(toBatchCount: 3).frame(2) == Self.ramp.frame(0))
        #expect(Self.ramp.repeated(toBatchCount: 1) == Self.ramp.frame(0))
    }

    @Test func addsOpaqueAlphaAndDropsIt() {
        let rgba = Self.ramp.withChannels(4)
        #expect(rgba[0, 0, 1, 3] == 1 && rgba[0, 0, 1, 2] == 5)
        #expect(rgba.withChannels(3) == Self.ramp)
    }

    @Test func masksConvertToAndFromImages() {
        let mask = Mask(batchCount: 1, height: 1, width: 2, values: [0.25, 0.75])
        let image = mask.image()
        #expect(image.channels == 3 && image.pixels == [0.25, 0.25, 0.25, 0.75, 0.75, 0.75])
        #expect(Mask(channel: 1, of: image) == mask)
    }
}

@Suite struct ImageTransformTests {
    @Test func rotationsAndFlipsMatchComfyUI() throws {
        let cases = Fixtures.cases(kind: "rotate") + Fixtures.cases(kind: "flip")
        #expect(cases.count == 5)
        for (name, parameters) in cases {
            let input = try Fixtures.image(parameters["input"] as! String)
            let output: Image
            if let rotation = parameters["rotation"] as? String {
                output = input.rotatedClockwise(quarterTurns: Int(rotation.prefix { $0.isNumber })! / 90)
            } else {
                output = input.flipped(vertically: (parameters["flip_method"] as! String).hasPrefix("x"))
            }
            #expect(output == (try Fixtures.image(name)), "\(name)")
        }
    }

    @Test func colourMatchingRoundsLikeTorch() throws {
        for (name, parameters) in Fixtures.cases(kind: "color_to_mask") {
            let output = try Fixtures.image(parameters["input"] as! String).mask(matchingColor: parameters["color"] as! Int)
            #expect(output == (try Fixtures.mask(name)))
        }
    }

    @Test func framesAreClippedToTheBatch() {
        let batch = Image(batchCount: 3, height: 1, width: 1, channels: 3, pixels: (0..<9).map(Float.init))
        #expect(batch.frames(1..<5).pixels == [3, 4, 5, 6, 7, 8])
        #expect(batch.frames(5..<6).batchCount == 0)
    }
}
