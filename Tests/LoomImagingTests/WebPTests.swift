import Foundation
import ImagingTestSupport
import LoomImaging
import Testing

@Suite struct WebPTests {
    /// Still and animated files against ComfyUI's LoadImage (Pillow, libwebp): one image and mask per frame.
    @Test func decodesAsComfyUILoadsThem() throws {
        let cases = Fixtures.cases(kind: "webp")
        #expect(cases.count == 3)
        for (name, parameters) in cases {
            let frames = try ImageFile.readFrames(at: Fixtures.url(parameters["file"] as! String).path)
            let expected = try Fixtures.image("\(name)_image")
            let expectedMask = try Fixtures.mask("\(name)_mask")
            #expect(frames.count == expected.batchCount, "\(name)")
            let image = Image.concatenating(frames.map { Image(rgbOf: $0) })
            let difference = largestDifference(image, expected)
            // Lossy decoding may differ by one step between libwebp versions (Debian's and Pillow's own).
            let tolerance: Float = name.contains("lossy") ? 1.01 / 255 : 1e-6
            #expect(difference != nil && difference! < tolerance, "\(name): \(String(describing: difference))")
            let masks = frames.map { Mask(inverseAlphaOf: $0) ?? Mask(height: 64, width: 64, repeating: 0) }
            #expect(masks.flatMap(\.values) == expectedMask.values, "\(name)")
        }
    }

    @Test func theAnimationHasDistinctFramesAndReadGivesTheFirst() throws {
        let path = Fixtures.url("webp_animated.webp").path
        let frames = try ImageFile.readFrames(at: path)
        #expect(frames.count == 3 && frames.allSatisfy { $0.channels == 4 && $0.width == 7 && $0.height == 6 })
        #expect(frames[0].samples != frames[1].samples)
        #expect(try ImageFile.read(at: path) == frames[0])
    }

    @Test func refusesDamagedData() throws {
        let bytes = [UInt8](try Data(contentsOf: Fixtures.url("webp_lossless_rgba.webp")))
        #expect(throws: ImageCodingError.self) { try RasterImage.frames(decodingWebP: Array(bytes.prefix(20))) }
        var damaged = bytes
        for index in 30..<damaged.count { damaged[index] = 0xA5 }
        #expect(throws: ImageCodingError.self) { try RasterImage.frames(decodingWebP: damaged) }
    }
}
