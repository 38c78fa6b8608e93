/// What the ComfyUI_essentials nodes (class names ending in `+`) share.
enum Essentials {
    static let pythonModule = "custom_nodes.ComfyUI_essentials"

    /// Python's `//`: rounds towards negative infinity.
    static func floorDivide(_ value: Int, _ divisor: Int) -> Int {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
