import Foundation
import ImagingTestSupport
import LoomImaging
import Testing

/// Files that claim more pixels than the limit are refused from their headers, and work whose size an input
/// chooses stays proportional to the image, however large the input.
@Suite struct HostileImageTests {
    @Test func aPNGClaiming30000SquaredIsRefusedFromItsHeader() throws {
        let png = OversizedImages.png(width: 30000, height: 30000, texts: [("prompt", "{}")])
        let error = #expect(throws: ImageCodingError.self) { try RasterImage(decodingPNG: png) }
        guard case .tooLarge(let message)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(message.contains("30000 x 30000"))
        // Its text chunks are still readable, without decoding a pixel.
        #expect(try RasterImage.textChunks(ofPNG: png) == [PNGTextChunk(key: "prompt", text: "{}")])
        // A limit below a real image's size refuses it too.
        let small = try Data(contentsOf: Fixtures.url("png_rgba_text.png"))
        #expect(throws: ImageCodingError.self) { try RasterImage(decodingPNG: Array(small), maximumPixels: 4) }
        #expect(try RasterImage.textChunks(ofPNG: Array(small)) == (try RasterImage(decodingPNG: Array(small))).textChunks)
    }

    @Test func aJPEGClaimingTooManyPixelsIsRefusedFromItsHeader() throws {
        let jpeg = try OversizedImages.jpeg(width: 60000, height: 60000)
        let error = #expect(throws: ImageCodingError.self) { try RasterImage(decodingJPEG: jpeg) }
        guard case .tooLarge? = error else { Issue.record("\(String(describing: error))"); return }
    }

    @Test func animatedWebPFramesCountAgainstTheBatchLimit() throws {
        let frameCount = try RasterImage.frames(decodingWebP: Array(try Data(contentsOf: Fixtures.url("webp_animated.webp")))).count
        #expect(frameCount > 1)
        let webp = try OversizedImages.animatedWebP(width: 2048, height: 2048)
        let total = #expect(throws: ImageCodingError.self) {
            try RasterImage.frames(decodingWebP: webp, maximumTotalPixels: 2048 * 2048 * (frameCount - 1))
        }
        guard case .tooLarge(let message)? = total else { Issue.record("\(String(describing: total))"); return }
        #expect(message.contains("\(frameCount) frames"))
        let canvas = #expect(throws: ImageCodingError.self) { try RasterImage.frames(decodingWebP: webp, maximumPixels: 1 << 20) }
        guard case .tooLarge? = canvas else { Issue.record("\(String(describing: canvas))"); return }
    }

    /// `n` plain rounds of 3×3 dilation or erosion, as ComfyUI runs GrowMask, for comparison.
    static func grownByRounds(_ mask: Mask, by expand: Int, taperedCorners: Bool) -> Mask {
        var values = mask.values
        let (width, height) = (mask.width, mask.height)
        for _ in 0..<abs(expand) {
            var next = values
            for frame in 0..<mask.batchCount {
                for y in 0..<height {
                    for x in 0..<width {
                        var extreme = values[(frame * height + y) * width + x]
                        for dy in -1...1 {
                            for dx in -1...1 where !(taperedCorners && dx != 0 && dy != 0) {
                                let (nx, ny) = (x + dx, y + dy)
                                guard (0..<width).contains(nx), (0..<height).contains(ny) else { continue }
                                let value = values[(frame * height + ny) * width + nx]
                                extreme = expand > 0 ? max(extreme, value) : min(extreme, value)
                            }
                        }
                        next[(frame * height + y) * width + x] = extreme
                    }
                }
            }
            values = next
        }
        return Mask(batchCount: mask.batchCount, height: height, width: width, values: values)
    }

    @Test func growingInOnePassEqualsGrowingRoundByRound() {
        var random = SystemRandomNumberGenerator()
        let mask = Mask(
            batchCount: 2, height: 13, width: 21,
            values: (0..<(2 * 13 * 21)).map { _ in Float(Int.random(in: 0..<8, using: &random)) / 7 })
        for expand in [1, 2, 3, 6, 11, 40, -1, -4, -9, -40] {
            for tapered in [true, false] {
                #expect(mask.grown(by: expand, taperedCorners: tapered).values
                    == Self.grownByRounds(mask, by: expand, taperedCorners: tapered).values, "expand \(expand), tapered \(tapered)")
            }
        }
    }

    @Test func growingByTheLargestExpandTakesNoLongerThanBySmallOnes() {
        let mask = Mask(
            batchCount: 1, height: 384, width: 256,
            values: (0..<(384 * 256)).map { $0 == 384 * 128 + 77 ? 1 : 0 })
        let clock = ContinuousClock()
        let start = clock.now
        let grown = mask.grown(by: 16384, taperedCorners: true)
        let shrunk = mask.grown(by: -16384, taperedCorners: false)
        #expect(clock.now - start < .seconds(10))
        #expect(grown.values.allSatisfy { $0 == 1 })
        #expect(shrunk.values.allSatisfy { $0 == 0 })
    }

    /// A model whose output holds NaN or infinity (a broken checkpoint, an extreme max_shift) must not trap where
    /// floats become bytes: saving, resampling, colour masks and edge detection read NaN as 0 and clip infinities.
    @Test func nonFinitePixelsBecomeBytesWithoutTrapping() {
        let values: [Float] = [.nan, .infinity, -.infinity, 0.5, .nan, 1e30, -1e30, 0, .nan, 1, .infinity, 0.25]
        let image = Image(batchCount: 1, height: 2, width: 2, channels: 3, pixels: values)
        #expect(RasterImage(frame: 0, of: image).samples == [0, 255, 0, 127, 0, 255, 0, 0, 0, 255, 255, 63])
        #expect(image.resized(width: 3, height: 3, method: .lanczos).pixels.count == 27)
        #expect(image.mask(matchingColor: 0).values.count == 4)
        #expect(CannyEdgeDetector(lowThreshold: 0.1, highThreshold: 0.2).edges(of: image).values.count == 4)
        #expect(Mask(batchCount: 1, height: 2, width: 2, values: [.nan, .infinity, 0, 1]).gaussianBlurredLikePIL(radius: 1).values.count == 4)
    }
}
