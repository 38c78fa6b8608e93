/// numpy's `SeedSequence`: hashes an entropy integer and a spawn key into a pool of 32-bit words
/// and draws seeds from it (`generate_state`). torchsde seeds each Brownian-tree node with it.
struct SeedSequence {
    private static let initA: UInt32 = 0x43B0_D7E5, multiplierA: UInt32 = 0x931E_8875
    private static let initB: UInt32 = 0x8B51_F9DD, multiplierB: UInt32 = 0x58F3_8DED
    private static let mixLeft: UInt32 = 0xCA01_F9DD, mixRight: UInt32 = 0x4973_F715

    private var pool: [UInt32]

    init(entropy: UInt64, spawnKey: [UInt64] = [], poolSize: Int = 4) {
        var words = Self.words(of: entropy)
        let spawnWords = spawnKey.flatMap(Self.words(of:))
        // Entropy shorter than the pool is zero-padded when a spawn key follows, so that keys
        // cannot collide with longer entropies.
        if !spawnWords.isEmpty && words.count < poolSize {
            words += [UInt32](repeating: 0, count: poolSize - words.count)
        }
        words += spawnWords

        var hashConstant = Self.initA
        func hashMix(_ value: UInt32) -> UInt32 {
            var value = value ^ hashConstant
            hashConstant &*= Self.multiplierA
            value &*= hashConstant
            return value ^ (value >> 16)
        }
        func mix(_ x: UInt32, _ y: UInt32) -> UInt32 {
            let result = Self.mixLeft &* x &- Self.mixRight &* y
            return result ^ (result >> 16)
        }
        var pool = (0..<poolSize).map { hashMix($0 < words.count ? words[$0] : 0) }
        for source in 0..<poolSize {
            for destination in 0..<poolSize where source != destination {
                pool[destination] = mix(pool[destination], hashMix(pool[source]))
            }
        }
        for source in poolSize..<max(words.count, poolSize) {
            for destination in 0..<poolSize {
                pool[destination] = mix(pool[destination], hashMix(words[source]))
            }
        }
        self.pool = pool
    }

    func generateState(count: Int) -> [UInt32] {
        var hashConstant = Self.initB
        return (0..<count).map { i in
            var value = pool[i % pool.count] ^ hashConstant
            hashConstant &*= Self.multiplierB
            value &*= hashConstant
            return value ^ (value >> 16)
        }
    }

    /// An integer as numpy splits it: 32-bit words, least significant first, at least one.
    private static func words(of value: UInt64) -> [UInt32] {
        let low = UInt32(truncatingIfNeeded: value), high = UInt32(truncatingIfNeeded: value >> 32)
        return high == 0 ? [low] : [low, high]
    }
}
