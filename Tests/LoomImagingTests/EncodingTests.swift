import LoomImaging
import Testing

@Suite struct EncodingTests {
    static let gradient: RasterImage = {
        var samples: [UInt16] = []
        for y in 0..<24 {
            for x in 0..<32 { samples += [UInt16(x * 8), UInt16(y * 10), 60] }
        }
        return RasterImage(width: 32, height: 24, channels: 3, bitDepth: 8, samples: samples)
    }()

    @Test func jpegRoundTripsCloseToTheSourceAndQualityMatters() throws {
        let high = try Self.gradient.encodedJPEG(quality: 95)
        let decoded = try RasterImage(decodingJPEG: high)
        #expect(decoded.width == 32 && decoded.height == 24 && decoded.channels == 3)
        let error = zip(decoded.samples, Self.gradient.samples).map { abs(Int($0) - Int($1)) }.max() ?? 255
        #expect(error < 16)
        #expect(try Self.gradient.encodedJPEG(quality: 5).count < high.count)
        let grey = RasterImage(width: 2, height: 2, channels: 1, bitDepth: 8, samples: [0, 80, 160, 240])
        #expect(try RasterImage(decodingJPEG: grey.encodedJPEG()).channels == 1)
        let rgba = RasterImage(width: 1, height: 1, channels: 4, bitDepth: 8, samples: [1, 2, 3, 4])
        #expect(throws: ImageCodingError.self) { try rgba.encodedJPEG() }
    }

    @Test func webPHasItsSignatureAndRefusesOtherLayouts() throws {
        let bytes = try Self.gradient.encodedWebP(quality: 80)
        #expect(Array(bytes[0..<4]) == Array("RIFF".utf8) && Array(bytes[8..<12]) == Array("WEBP".utf8))
        let grey = RasterImage(width: 1, height: 1, channels: 1, bitDepth: 8, samples: [5])
        #expect(throws: ImageCodingError.self) { try grey.encodedWebP() }
    }
}
