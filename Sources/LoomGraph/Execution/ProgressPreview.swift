/// A small picture of a node's work in progress (a sampler's current prediction), 8-bit RGB rows.
/// Clients show it while the node runs; it is never cached or saved.
public struct ProgressPreview: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// `width · height · 3` bytes, row-major.
    public var rgb: [UInt8]

    public init(width: Int, height: Int, rgb: [UInt8]) {
        precondition(rgb.count == width * height * 3, "\(rgb.count) bytes for a \(width)×\(height) RGB preview")
        self.width = width
        self.height = height
        self.rgb = rgb
    }
}
