import Loom
import LoomImaging

/// ComfyUI's binary preview message: a big-endian event type (1, PREVIEW_IMAGE), a big-endian image
/// format (2, PNG), then the encoded picture.
struct PreviewFrame {
    let bytes: [UInt8]

    static let previewImageEvent: UInt32 = 1
    static let pngFormat: UInt32 = 2

    /// Nil when the picture cannot be encoded; a missed preview is not worth failing a prompt over.
    init?(_ preview: ProgressPreview) {
        let raster = RasterImage(width: preview.width, height: preview.height, channels: 3, bitDepth: 8,
                                 samples: preview.rgb.map(UInt16.init))
        guard let png = try? raster.encodedPNG(compressionLevel: 1) else { return nil }
        bytes = Self.bigEndian(Self.previewImageEvent) + Self.bigEndian(Self.pngFormat) + png
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}
