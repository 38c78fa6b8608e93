extension UInt8 {
    /// 255·x clipped to 0...255 and truncated, as ComfyUI's `np.clip(255. * x, 0, 255).astype(np.uint8)`. NaN,
    /// which NumPy leaves undefined, becomes 0: a non-finite value never traps.
    public init(truncatingUnit value: Float) {
        let scaled = 255 * value
        self = scaled.isNaN ? 0 : UInt8(Swift.min(Swift.max(scaled, 0), 255))
    }
}
