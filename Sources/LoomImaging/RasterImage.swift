/// Decoded pixels as 8- or 16-bit samples, with the file's text metadata.
///
/// `channels` is 1 (grey), 2 (grey, alpha), 3 (RGB) or 4 (RGBA): palette images and grey below 8 bits
/// arrive expanded to 8 bits, and a palette's tRNS chunk as an alpha channel.
public struct RasterImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var bitDepth: Int
    /// Row-major samples, `channels` per pixel; at most 255 or 65535 by `bitDepth`.
    public var samples: [UInt16]
    /// PNG text chunks (tEXt, zTXt, iTXt) in file order.
    public var textChunks: [PNGTextChunk]
    /// The Exif orientation (1...8) the pixels are stored in; 1 is upright. See `upright()`.
    public var orientation: Int

    /// Larger images are refused rather than allocated.
    public static let maximumDimension = 65_535
    /// Width × height decoders accept unless told otherwise: ComfyUI's largest side, 16384, squared.
    public static let defaultMaximumPixels = 16384 * 16384

    public init(
        width: Int, height: Int, channels: Int, bitDepth: Int, samples: [UInt16], textChunks: [PNGTextChunk] = [],
        orientation: Int = 1
    ) {
        precondition(samples.count == width * height * channels, "sample count does not match the size")
        self.width = width
        self.height = height
        self.channels = channels
        self.bitDepth = bitDepth
        self.samples = samples
        self.textChunks = textChunks
        self.orientation = orientation
    }

    /// The first text chunk called `key`.
    public func text(_ key: String) -> String? {
        textChunks.first { $0.key == key }?.text
    }

    public var hasAlpha: Bool { channels == 2 || channels == 4 }
}
