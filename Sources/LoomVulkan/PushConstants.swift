/// Push-constant words in the order a shader's `Params` block declares them (all members are
/// 32-bit scalars or 4-vectors of them, so std430 packing is plain concatenation).
struct PushConstants {
    private(set) var words: [UInt32] = []

    mutating func append(_ value: Int) {
        precondition(value >= Int(Int32.min) && value <= Int(UInt32.max), "push constant \(value) does not fit 32 bits")
        words.append(UInt32(truncatingIfNeeded: value))
    }

    mutating func append(_ values: [Int]) { values.forEach { append($0) } }

    mutating func append(_ value: Float) { words.append(value.bitPattern) }
}
