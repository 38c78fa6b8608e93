import Foundation
import ImagingTestSupport
import LoomImaging
import Testing

@Suite struct JPEGTests {
    @Test func decodesExactlyAsComfyUILoadsThem() throws {
        let cases = Fixtures.cases(kind: "jpg")
        #expect(cases.count == 7)
        for (name, parameters) in cases {
            let raster = try ImageFile.read(at: Fixtures.url(parameters["file"] as! String).path).upright()
            let difference = largestDifference(Image(rgbOf: raster), try Fixtures.image("\(name)_image"))
            #expect(difference != nil && difference! < 1e-6, "\(name): \(String(describing: difference))")
            #expect(Mask(inverseAlphaOf: raster) == nil)
            #expect(try Fixtures.mask("\(name)_mask") == Mask(height: 64, width: 64, repeating: 0))
        }
    }

    @Test func recordsTheExifOrientation() throws {
        let turned = try ImageFile.read(at: Fixtures.url("jpeg_orientation_6.jpg").path)
        #expect(turned.orientation == 6 && turned.width == 13 && turned.height == 9)
        let upright = turned.upright()
        #expect(upright.orientation == 1 && upright.width == 9 && upright.height == 13)
        #expect(try ImageFile.read(at: Fixtures.url("jpeg_420.jpg").path).orientation == 1)
    }

    @Test func refusesTruncatedAndCMYKFiles() throws {
        let bytes = [UInt8](try Data(contentsOf: Fixtures.url("jpeg_420.jpg")))
        for length in [3, 200, bytes.count - 10] {
            #expect(throws: ImageCodingError.self) { try RasterImage(decodingJPEG: Array(bytes.prefix(length))) }
        }
        #expect(throws: ImageCodingError.corrupt("the file is truncated")) {
            try RasterImage(decodingJPEG: Array(bytes.prefix(bytes.count - 10)))
        }
        let cmyk = [UInt8](try Data(contentsOf: Fixtures.url("jpeg_cmyk.jpg")))
        #expect(throws: ImageCodingError.unsupported("CMYK and YCCK JPEG images are not supported")) {
            try RasterImage(decodingJPEG: cmyk)
        }
        #expect(throws: ImageCodingError.unrecognized) { try RasterImage(decodingJPEG: [0x89, 0x50, 0x4E, 0x47]) }
    }

    @Test func survivesRandomDamage() throws {
        let clean = [UInt8](try Data(contentsOf: Fixtures.url("jpeg_444_progressive.jpg")))
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        for _ in 0..<300 {
            var bytes = clean
            for _ in 0..<(1 + next(4)) { bytes[3 + next(bytes.count - 3)] = UInt8(next(256)) }
            if let decoded = try? RasterImage(decodingJPEG: bytes) {
                #expect(decoded.samples.count == decoded.width * decoded.height * decoded.channels)
            }
        }
    }

    /// A 3×2 image whose samples are their own stored positions, turned by each orientation.
    @Test(arguments: [
        (1, 3, [0, 1, 2, 3, 4, 5]), (2, 3, [2, 1, 0, 5, 4, 3]), (3, 3, [5, 4, 3, 2, 1, 0]),
        (4, 3, [3, 4, 5, 0, 1, 2]), (5, 2, [0, 3, 1, 4, 2, 5]), (6, 2, [3, 0, 4, 1, 5, 2]),
        (7, 2, [5, 2, 4, 1, 3, 0]), (8, 2, [2, 5, 1, 4, 0, 3]),
    ])
    func turnsUprightLikePIL(orientation: Int, width: Int, samples: [Int]) {
        let stored = RasterImage(
            width: 3, height: 2, channels: 1, bitDepth: 8, samples: (0..<6).map(UInt16.init), orientation: orientation)
        let upright = stored.upright()
        #expect(upright.width == width && upright.samples == samples.map(UInt16.init))
    }
}
