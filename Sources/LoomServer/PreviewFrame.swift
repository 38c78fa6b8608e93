import Loom
import LoomImaging

/// ComfyUI's binary preview messages. PREVIEW_IMAGE (1): a big-endian event type, a big-endian image
/// format (2, PNG), then the encoded picture. PREVIEW_IMAGE_WITH_METADATA (4), for clients whose
/// `feature_flags` say `supports_preview_metadata`: the event type, the big-endian length of a JSON object
/// naming the prompt and node (and `image_type`), that object, then the picture.
struct PreviewFrame {
    let bytes: [UInt8]

    static let pngFormat: UInt32 = 2

    /// Nil when the picture cannot be encoded; a missed preview is not worth failing a prompt over.
    init?(_ preview: ProgressPreview) {
        guard let png = Self.png(preview) else { return nil }
        bytes = BinaryEventType.previewImage.frame(BinaryEventType.bigEndian(Self.pngFormat) + png)
    }

    /// The frame with metadata for `node` of `promptID`.
    init?(_ preview: ProgressPreview, promptID: String, node: String) {
        guard let png = Self.png(preview) else { return nil }
        let metadata: JSONValue = [
            "node_id": .string(node), "prompt_id": .string(promptID), "display_node_id": .string(node),
            "parent_node_id": .null, "real_node_id": .string(node), "image_type": "image/png",
        ]
        let json = Array(metadata.jsonText(indent: nil).utf8)
        guard let length = UInt32(exactly: json.count) else { return nil }
        bytes = BinaryEventType.previewImageWithMetadata.frame(BinaryEventType.bigEndian(length) + json + png)
    }

    private static func png(_ preview: ProgressPreview) -> [UInt8]? {
        let raster = RasterImage(width: preview.width, height: preview.height, channels: 3, bitDepth: 8,
                                 samples: preview.rgb.map(UInt16.init))
        return try? raster.encodedPNG(compressionLevel: 1)
    }
}
