import Foundation

/// Small image files whose headers claim far more pixels than they hold, as a hostile upload would: decoders
/// must refuse them from the header, before allocating anything for the pixels.
public enum OversizedImages {
    /// A PNG whose header says `width` × `height` (8-bit RGB), with `texts` as tEXt chunks before a token IDAT.
    public static func png(width: UInt32, height: UInt32, texts: [(String, String)] = []) -> [UInt8] {
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func chunk(_ type: String, _ data: [UInt8]) {
            let typed = Array(type.utf8) + data
            bytes += bigEndian(UInt32(data.count)) + typed + bigEndian(crc32(typed))
        }
        chunk("IHDR", bigEndian(width) + bigEndian(height) + [8, 2, 0, 0, 0])
        for (key, text) in texts { chunk("tEXt", Array(key.utf8) + [0] + Array(text.utf8)) }
        chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
        chunk("IEND", [])
        return bytes
    }

    /// The 4:2:0 JPEG fixture with its frame header rewritten to `width` × `height`.
    public static func jpeg(width: UInt16, height: UInt16) throws -> [UInt8] {
        var bytes = Array(try Data(contentsOf: Fixtures.url("jpeg_420.jpg")))
        guard let frame = (0..<(bytes.count - 9)).first(where: { bytes[$0] == 0xFF && (bytes[$0 + 1] == 0xC0 || bytes[$0 + 1] == 0xC2) })
        else { throw FixtureError("jpeg_420.jpg has no frame header") }
        bytes.replaceSubrange((frame + 5)..<(frame + 9), with: bigEndian(height) + bigEndian(width))
        return bytes
    }

    /// The animated WebP fixture with its canvas (in the VP8X chunk) enlarged to `width` × `height`.
    public static func animatedWebP(width: Int, height: Int) throws -> [UInt8] {
        var bytes = Array(try Data(contentsOf: Fixtures.url("webp_animated.webp")))
        guard bytes.count > 30, Array(bytes[12..<16]) == Array("VP8X".utf8) else {
            throw FixtureError("webp_animated.webp has no VP8X chunk")
        }
        for (offset, value) in [(24, width - 1), (27, height - 1)] {
            for byte in 0..<3 { bytes[offset + byte] = UInt8(truncatingIfNeeded: value >> (8 * byte)) }
        }
        return bytes
    }

    private static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian, Array.init)
    }

    private static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
