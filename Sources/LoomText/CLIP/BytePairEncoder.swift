/// Byte-pair encoding of one word with CLIP's ranked merges; the last symbol carries `</w>`.
struct BytePairEncoder: Sendable {
    struct Pair: Hashable {
        let left: String
        let right: String
    }

    private let ranks: [Pair: Int]

    /// The ranked merges in priority order; nil stands for a line that is no merge but keeps its rank.
    init(pairs: [Pair?]) {
        var ranks: [Pair: Int] = [:]
        ranks.reserveCapacity(pairs.count)
        // A repeated pair keeps its last rank, as Python's dict(zip(merges, ranks)) does.
        for (rank, pair) in pairs.enumerated() {
            if let pair { ranks[pair] = rank }
        }
        self.ranks = ranks
    }

    /// Repeatedly merges the lowest-ranked adjacent pair (all its occurrences, left to right).
    func encode(_ word: String) -> [String] {
        var symbols = word.unicodeScalars.map { String($0) }
        guard !symbols.isEmpty else { return [] }
        symbols[symbols.count - 1] += "</w>"
        while symbols.count > 1 {
            var best: (rank: Int, pair: Pair)?
            for index in 0..<(symbols.count - 1) {
                let pair = Pair(left: symbols[index], right: symbols[index + 1])
                if let rank = ranks[pair], rank < best?.rank ?? .max { best = (rank, pair) }
            }
            guard let (_, pair) = best else { break }
            var merged: [String] = []
            merged.reserveCapacity(symbols.count)
            var index = 0
            while index < symbols.count {
                if index < symbols.count - 1, symbols[index] == pair.left, symbols[index + 1] == pair.right {
                    merged.append(pair.left + pair.right)
                    index += 2
                } else {
                    merged.append(symbols[index])
                    index += 1
                }
            }
            symbols = merged
        }
        return symbols
    }
}
