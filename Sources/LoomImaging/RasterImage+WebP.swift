import CLibWebP

extension RasterImage {
    /// Lossy WebP bytes at `quality` (0...100) for an 8-bit RGB or RGBA image, as PIL saves WebP.
    public func encodedWebP(quality: Int = 90) throws(ImageCodingError) -> [UInt8] {
        guard bitDepth == 8, channels == 3 || channels == 4 else {
            throw .unsupported("WebP takes 8-bit RGB or RGBA, not \(channels) channels of \(bitDepth) bits")
        }
        guard width <= Int(WEBP_MAX_DIMENSION), height <= Int(WEBP_MAX_DIMENSION) else {
            throw .unsupported("WebP images are at most \(WEBP_MAX_DIMENSION) pixels on a side")
        }
        let packed = samples.map { UInt8(truncatingIfNeeded: $0) }
        let level = Float(min(max(quality, 0), 100))
        var output: UnsafeMutablePointer<UInt8>?
        let size = packed.withUnsafeBufferPointer { pixels in
            channels == 4
                ? WebPEncodeRGBA(pixels.baseAddress, Int32(width), Int32(height), Int32(width * 4), level, &output)
                : WebPEncodeRGB(pixels.baseAddress, Int32(width), Int32(height), Int32(width * 3), level, &output)
        }
        guard size > 0, let output else { throw .outOfMemory }
        defer { WebPFree(output) }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }
}
