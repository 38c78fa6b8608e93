/// The 32-bit Mersenne Twister (MT19937) exactly as PyTorch's CPU generator runs it.
///
/// `torch.manual_seed` keeps only the low 32 bits of the seed, so seeds that differ above bit 31
/// give the same stream, as they do in ComfyUI.
struct MersenneTwister: Sendable {
    private static let stateSize = 624
    private static let shiftSize = 397
    private var state: [UInt32]
    private var index: Int

    init(seed: UInt64) {
        var state = [UInt32](repeating: 0, count: Self.stateSize)
        state[0] = UInt32(truncatingIfNeeded: seed)
        for i in 1..<Self.stateSize {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
        self.state = state
        self.index = Self.stateSize
    }

    mutating func next() -> UInt32 {
        if index >= Self.stateSize { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        let n = Self.stateSize, m = Self.shiftSize
        for i in 0..<n {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % n] & 0x7FFF_FFFF)
            var value = state[(i + m) % n] ^ (y >> 1)
            if y & 1 != 0 { value ^= 0x9908_B0DF }
            state[i] = value
        }
        index = 0
    }
}
