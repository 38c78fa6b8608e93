import Foundation
import ImagingTestSupport
import LoomImaging
import Testing

@Suite struct PNGTests {
    /// LoadImage's outputs for a decoded PNG: RGB and 1 − alpha, or the 64×64 empty mask.
    static func loaded(_ png: RasterImage) -> (Image, Mask) {
        (Image(rgbOf: png), Mask(inverseAlphaOf: png) ?? Mask(height: 64, width: 64, repeating: 0))
    }

    @Test func decodesLayoutsAsComfyUILoadsThem() throws {
        let cases = Fixtures.cases(kind: "png")
        #expect(cases.count == 11)
        for (name, parameters) in cases {
            let png = try ImageFile.read(at: Fixtures.url(parameters["file"] as! String).path)
            let (image, mask) = Self.loaded(png)
            let imageDifference = largestDifference(image, try Fixtures.image("\(name)_image"))
            let maskDifference = largestDifference(mask, try Fixtures.mask("\(name)_mask"))
            #expect(imageDifference != nil && imageDifference! < 1e-6, "\(name): image \(String(describing: imageDifference))")
            #expect(maskDifference != nil && maskDifference! < 1e-6, "\(name): mask \(String(describing: maskDifference))")
        }
    }

    @Test func reportsLayoutAfterExpansion() throws {
        let palette = try ImageFile.read(at: Fixtures.url("png_palette_trns.png").path)
        #expect(palette.channels == 4 && palette.bitDepth == 8)
        let bits = try ImageFile.read(at: Fixtures.url("png_grey_1bit.png").path)
        #expect(bits.channels == 1 && bits.bitDepth == 8 && Set(bits.samples) == [0, 255])
        let deep = try ImageFile.read(at: Fixtures.url("png_rgb16.png").path)
        #expect(deep.channels == 3 && deep.bitDepth == 16 && deep.samples.contains { $0 > 255 })
    }

    @Test func readsTextZTextAndInternationalText() throws {
        let png = try ImageFile.read(at: Fixtures.url("png_rgba_text.png").path)
        #expect(png.text("prompt") == #"{"1": {"class_type": "SaveImage", "inputs": {}}}"#)
        #expect(png.text("latin") == "caf\u{E9}")
        #expect(png.text("compressed") == String(repeating: "zz", count: 40))
        #expect(png.text("international") == "\u{65E5}\u{672C} \u{2713}")
        #expect(png.text("absent") == nil)
    }

    @Test(arguments: [(1, 8), (2, 8), (3, 8), (4, 8), (1, 16), (2, 16), (3, 16), (4, 16)])
    func roundTripsEveryLayout(channels: Int, bitDepth: Int) throws {
        let maximum = bitDepth == 16 ? 65535 : 255
        let samples = (0..<(5 * 3 * channels)).map { UInt16(($0 * 7919) % (maximum + 1)) }
        let original = RasterImage(
            width: 5, height: 3, channels: channels, bitDepth: bitDepth, samples: samples,
            textChunks: [PNGTextChunk(key: "prompt", text: "{\"a\": 1}"), PNGTextChunk(key: "note", text: "d\u{E9}j\u{E0}")])
        let decoded = try RasterImage(decodingPNG: try original.encodedPNG(compressionLevel: 4))
        #expect(decoded == original)
    }

    @Test func savesEightBitSamplesByTruncatingLikeComfyUI() throws {
        let image = Image(batchCount: 2, height: 1, width: 2, channels: 3, pixels: [
            0, 0.5, 1, 1.5, -0.5, 0.999, 0.1, 0.2, 0.3, 0.4, Float.nan, 0.6,
        ])
        let png = RasterImage(frame: 1, of: image)
        #expect(png.samples == [25, 51, 76, 102, 0, 153])
        #expect(RasterImage(frame: 0, of: image).samples == [0, 127, 255, 255, 0, 254])
    }

    @Test func refusesTextOutsideLatin1() {
        let png = RasterImage(
            width: 1, height: 1, channels: 1, bitDepth: 8, samples: [0],
            textChunks: [PNGTextChunk(key: "workflow", text: "\u{65E5}")])
        #expect(throws: ImageCodingError.self) { try png.encodedPNG() }
    }

    // MARK: Damaged input

    static func validPNG() throws -> [UInt8] {
        try RasterImage(width: 4, height: 4, channels: 3, bitDepth: 8, samples: (0..<48).map { UInt16($0 * 5) })
            .encodedPNG(compressionLevel: 0)
    }

    @Test func rejectsDataWithoutTheSignature() {
        #expect(throws: ImageCodingError.unrecognized) { try RasterImage(decodingPNG: []) }
        #expect(throws: ImageCodingError.unrecognized) { try RasterImage(decodingPNG: Array("hello, world".utf8)) }
    }

    @Test func reportsTruncationAsCorrupt() throws {
        let bytes = try Self.validPNG()
        for length in [9, 33, 50, bytes.count - 20] {
            #expect {
                try RasterImage(decodingPNG: Array(bytes.prefix(length)))
            } throws: { error in
                guard case .corrupt(let message) = error as? ImageCodingError else { return false }
                return !message.isEmpty
            }
        }
    }

    @Test func reportsCRCDamageInTheHeaderAsCorrupt() throws {
        var bytes = try Self.validPNG()
        bytes[17] ^= 0xFF  // inside IHDR's width field
        #expect {
            try RasterImage(decodingPNG: bytes)
        } throws: { error in
            guard case .corrupt(let message) = error as? ImageCodingError else { return false }
            return message.localizedCaseInsensitiveContains("crc")
        }
    }

    @Test func reportsDamagedImageData() throws {
        var bytes = try Self.validPNG()
        // The IDAT payload starts after signature (8), IHDR (25) and the IDAT length and type (8).
        for offset in 41..<49 { bytes[offset] ^= 0x5A }
        #expect(throws: ImageCodingError.self) { try RasterImage(decodingPNG: bytes) }
    }

    @Test func refusesOversizedImagesBeforeAllocating() throws {
        var bytes = try Self.validPNG()
        // Width 100000 with a correct CRC, so only the size limit can object.
        let width: [UInt8] = [0x00, 0x01, 0x86, 0xA0]
        bytes.replaceSubrange(16..<20, with: width)
        let crc = crc32(Array(bytes[12..<29]))
        bytes.replaceSubrange(29..<33, with: withUnsafeBytes(of: crc.bigEndian) { Array($0) })
        #expect {
            try RasterImage(decodingPNG: bytes)
        } throws: { error in
            guard case .unsupported(let message) = error as? ImageCodingError else { return false }
            return message.contains("100000 x 4 pixels")
        }
    }

    /// Random damage must end in a thrown error or a decoded image, never a crash or a stall;
    /// this drives libpng's error path (longjmp inside the C shim) hundreds of times. Damaged chunk
    /// lengths once made libpng clear gigabytes, hence the time limit.
    @Test(.timeLimit(.minutes(1))) func survivesRandomDamage() throws {
        let start = ContinuousClock.now
        let text = [PNGTextChunk(key: "prompt", text: String(repeating: "{}", count: 50))]
        let clean = try RasterImage(
            width: 9, height: 7, channels: 4, bitDepth: 16, samples: (0..<252).map { UInt16($0 * 260) },
            textChunks: text
        ).encodedPNG()
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var failures = 0
        for _ in 0..<400 {
            var bytes = clean
            for _ in 0..<(1 + next(4)) { bytes[8 + next(bytes.count - 8)] = UInt8(next(256)) }
            if next(3) == 0 { bytes = Array(bytes.prefix(8 + next(bytes.count - 8))) }
            do {
                let decoded = try RasterImage(decodingPNG: bytes)
                #expect(decoded.samples.count == decoded.width * decoded.height * decoded.channels)
            } catch {
                failures += 1
            }
        }
        #expect(failures > 100)
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    private func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    // MARK: Files

    @Test func fileErrorsNameTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-png-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let missing = directory.appendingPathComponent("missing.png").path
        #expect(throws: ImageFileError(path: missing, problem: .missing)) { try ImageFile.read(at: missing) }

        let gif = directory.appendingPathComponent("photo.png").path
        try Data(Array("GIF89a\u{1}\0\u{1}\0".utf8)).write(to: URL(fileURLWithPath: gif))
        #expect(throws: ImageFileError(path: gif, problem: .unsupportedFormat("a GIF image"))) {
            try ImageFile.read(at: gif)
        }

        let truncated = directory.appendingPathComponent("cut.png").path
        try Data(try Self.validPNG().prefix(40)).write(to: URL(fileURLWithPath: truncated))
        do {
            _ = try ImageFile.read(at: truncated)
            Issue.record("a truncated file decoded")
        } catch {
            #expect(error.path == truncated)
            #expect(error.description.contains("cut.png") && error.description.contains("damaged"))
        }

        let unwritable = directory.appendingPathComponent("no/such/folder/x.png").path
        #expect(throws: ImageFileError.self) { try ImageFile.write([1, 2, 3], to: unwritable) }
    }
}
