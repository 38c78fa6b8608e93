import Foundation

/// torchsde's `BrownianTree` (a `BrownianInterval` with the dyadic "halfway" tree, tolerance 1e-6,
/// pool size 24, no Lévy area), which ComfyUI's SDE samplers draw their noise from: a Brownian path
/// fixed by its entropy alone, so that the increment over a time interval does not depend on which
/// intervals were asked for before.
///
/// Each node splits at its centre (times rounded to 6 decimals, as torchsde rounds them); a child's
/// increment is the Brownian bridge of its parent's, sampled with `randn` from a generator seeded by
/// the node's `SeedSequence` words.
struct BrownianTree {
    private struct Node {
        var start: Double
        var end: Double
        var parent: Int?
        var isLeft: Bool
        var midway: Double?
        var spawnKey: UInt64 = 0
        var depth: UInt64 = 0
        var incrementSeed: UInt32 = 0
        var left: Int?
        var right: Int?
    }

    private static let poolSize = 24
    /// torchsde's default cache of recent increments: only speed depends on it.
    private static let cacheSize = 45

    private let entropy: UInt64
    private let count: Int
    private let rootIncrement: [Float]
    private var nodes: [Node]
    private var cache: [Int: [Float]] = [:]
    private var cacheOrder: [Int] = []

    init(from t0: Double, to t1: Double, entropy: UInt64, count: Int) {
        self.entropy = entropy
        self.count = count
        let seeds = SeedSequence(entropy: entropy, poolSize: Self.poolSize).generateState(count: 3)
        var generator = TorchGenerator(seed: UInt64(seeds[0]))
        let scale = Float((t1 - t0).squareRoot())
        rootIncrement = generator.randn(count: count).map { $0 * scale }
        nodes = [Node(start: Self.rounded(t0), end: Self.rounded(t1), parent: nil, isLeft: false)]
    }

    /// W(tb) − W(ta) for ta ≤ tb, clamped to the tree's span.
    mutating func increment(from ta: Double, to tb: Double) -> [Float] {
        let ta = min(max(ta, nodes[0].start), nodes[0].end)
        let tb = min(max(tb, nodes[0].start), nodes[0].end)
        if ta == tb { return [Float](repeating: 0, count: count) }
        var intervals: [Int] = []
        locate(0, from: Self.rounded(ta), to: Self.rounded(tb), into: &intervals)
        var total = increment(of: intervals[0])
        for interval in intervals.dropFirst() {
            let part = increment(of: interval)
            for i in total.indices { total[i] += part[i] }
        }
        return total
    }

    /// The nodes whose intervals tile [ta, tb], splitting nodes on the way (torchsde `_loc_inner`).
    private mutating func locate(_ index: Int, from ta: Double, to tb: Double, into intervals: inout [Int]) {
        let node = nodes[index]
        if ta < node.start || tb > node.end {
            locate(node.parent!, from: ta, to: tb, into: &intervals)
            return
        }
        if ta == node.start && tb == node.end {
            intervals.append(index)
            return
        }
        guard let midway = node.midway else {
            if ta == node.start {
                split(index, at: tb)
                locate(nodes[index].left!, from: ta, to: tb, into: &intervals)
            } else {
                split(index, at: ta)
                locate(nodes[index].right!, from: ta, to: tb, into: &intervals)
            }
            return
        }
        if tb <= midway {
            locate(node.left!, from: ta, to: tb, into: &intervals)
        } else if ta >= midway {
            locate(node.right!, from: ta, to: tb, into: &intervals)
        } else {
            locate(node.left!, from: ta, to: midway, into: &intervals)
            locate(node.right!, from: midway, to: tb, into: &intervals)
        }
    }

    /// Splits at the centre, then the child holding `time` again, until a split lands on it.
    private mutating func split(_ index: Int, at time: Double) {
        let centre = Self.rounded(0.5 * (nodes[index].end + nodes[index].start))
        var node = nodes[index]
        node.midway = centre
        if let parent = node.parent {
            node.spawnKey = 2 * nodes[parent].spawnKey + (node.isLeft ? 0 : 1)
            node.depth = nodes[parent].depth + 1
        }
        node.incrementSeed = SeedSequence(entropy: entropy, spawnKey: [node.spawnKey, node.depth], poolSize: Self.poolSize)
            .generateState(count: 1)[0]
        node.left = nodes.count
        node.right = nodes.count + 1
        nodes[index] = node
        nodes.append(Node(start: node.start, end: centre, parent: index, isLeft: true))
        nodes.append(Node(start: centre, end: node.end, parent: index, isLeft: false))
        if time > centre {
            split(node.right!, at: time)
        } else if time < centre {
            split(node.left!, at: time)
        }
    }

    /// A node's increment: its share of the parent's by the Brownian bridge at the parent's midway.
    private mutating func increment(of index: Int) -> [Float] {
        guard let parentIndex = nodes[index].parent else { return rootIncrement }
        if let cached = cache[index] { return cached }
        let parentIncrement = increment(of: parentIndex)
        let parent = nodes[parentIndex]
        let reciprocalLength = 1 / (parent.end - parent.start)
        let leftLength = parent.midway! - parent.start, rightLength = parent.end - parent.midway!
        let deviation = Float((leftLength * rightLength * reciprocalLength).squareRoot())
        let (leftScale, meanScale) = (Float(leftLength), Float(reciprocalLength))
        var generator = TorchGenerator(seed: UInt64(parent.incrementSeed))
        let noise = generator.randn(count: count)
        var result = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let leftIncrement = leftScale * parentIncrement[i] * meanScale + deviation * noise[i]
            result[i] = nodes[index].isLeft ? leftIncrement : parentIncrement[i] - leftIncrement
        }
        remember(result, for: index)
        return result
    }

    private mutating func remember(_ increment: [Float], for index: Int) {
        if cache.count >= Self.cacheSize {
            cache[cacheOrder.removeFirst()] = nil
        }
        cache[index] = increment
        cacheOrder.append(index)
    }

    /// Python's `round(x, 6)`: the correctly rounded 6-decimal value, read back.
    static func rounded(_ x: Double) -> Double {
        var buffer = [CChar](repeating: 0, count: 512)
        _ = withVaList([x]) { vsnprintf(&buffer, buffer.count, "%.6f", $0) }
        return strtod(buffer, nil)
    }
}
