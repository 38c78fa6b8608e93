import Foundation
import LoomVulkan
import XCTest

/// Plain attention in Double over [B, H, L, D] host arrays; `bias(b, h, i, j)` is additive. A row whose
/// scores are all -inf comes out NaN, as from the kernels.
func referenceAttention(q: [Float], k: [Float], v: [Float], batch: Int, heads: Int, queries: Int, keys: Int, depth: Int,
                        scale: Double, bias: (Int, Int, Int, Int) -> Float = { _, _, _, _ in 0 }) -> [Float] {
    var output = [Float](repeating: 0, count: batch * heads * queries * depth)
    for b in 0..<batch {
        for h in 0..<heads {
            let head = (b * heads + h)
            for i in 0..<queries {
                var scores = (0..<keys).map { j -> Double in
                    var dot = 0.0
                    for d in 0..<depth { dot += Double(q[(head * queries + i) * depth + d]) * Double(k[(head * keys + j) * depth + d]) }
                    return dot * scale + Double(bias(b, h, i, j))
                }
                let largest = scores.max()!
                scores = scores.map { exp($0 - largest) }
                let total = scores.reduce(0, +)
                for d in 0..<depth {
                    var sum = 0.0
                    for j in 0..<keys { sum += scores[j] * Double(v[(head * keys + j) * depth + d]) }
                    output[(head * queries + i) * depth + d] = Float(sum / total)
                }
            }
        }
    }
    return output
}

final class AttentionTests: XCTestCase {
    let context = sharedContext

    func testOddLengthsWithBroadcastMask() throws {
        let (batch, heads, queries, keys, depth) = (2, 3, 13, 37, 8)
        let q = randomValues(batch * heads * queries * depth, seed: 100)
        let k = randomValues(batch * heads * keys * depth, seed: 101)
        let v = randomValues(batch * heads * keys * depth, seed: 102)
        // A causal-style mask over [Lq, Lk] shared by every batch and head, with -inf entries.
        let mask = (0..<(queries * keys)).map { index -> Float in index % keys > index / keys + 20 ? -.infinity : Float(index % 5) * 0.1 }
        let result = try evaluate { recorder in
            try recorder.attention(query: context.upload(q, shape: [batch, heads, queries, depth]),
                                   key: context.upload(k, shape: [batch, heads, keys, depth]),
                                   value: context.upload(v, shape: [batch, heads, keys, depth]),
                                   bias: context.upload(mask, shape: [queries, keys]))
        }
        let expected = referenceAttention(q: q, k: k, v: v, batch: batch, heads: heads, queries: queries, keys: keys, depth: depth,
                                          scale: 1 / Double(depth).squareRoot()) { _, _, i, j in mask[i * keys + j] }
        assertClose(result, expected, threshold: 1e-7, "masked attention")
    }

    /// Additive biases of every broadcast form the shader reads, including −∞, against the reference. `keyOffset`
    /// shifts K inside its buffer: a multiple of 4 takes the texel-fetch variant on CPU devices, others the plain one.
    func testBiasCases() throws {
        let (batch, heads, queries, keys, depth) = (2, 3, 14, 29, 8)
        let q = randomValues(batch * heads * queries * depth, seed: 120)
        let v = randomValues(batch * heads * keys * depth, seed: 122)
        let perKey = (0..<keys).map { $0 % 7 == 3 ? -Float.infinity : Float($0 % 5) * 0.3 - 0.6 }
        let perHeadKey = randomValues(heads * keys, seed: 123)
        let perBatchQueryKey = randomValues(batch * queries * keys, seed: 124)
        // Query runs of 5, 0, 8 and 1 rows, each with its own row of key biases.
        let runLengths = [5, 0, 8, 1]
        let runRows = randomValues(runLengths.count * keys, seed: 125).enumerated().map { $0.offset % 11 == 4 ? -Float.infinity : $0.element }
        let runOfQuery = runLengths.enumerated().flatMap { [Int](repeating: $0.offset, count: $0.element) }
        let cases: [(name: String, values: [Float], shape: [Int], bias: (Int, Int, Int, Int) -> Float)] = [
            ("per key", perKey, [keys], { _, _, _, j in perKey[j] }),
            ("per head and key", perHeadKey, [heads, 1, keys], { _, h, _, j in perHeadKey[h * keys + j] }),
            ("per batch, query and key", perBatchQueryKey, [batch, 1, queries, keys], { b, _, i, j in perBatchQueryKey[(b * queries + i) * keys + j] }),
            ("query runs", runRows, [runLengths.count, keys], { _, _, i, j in runRows[runOfQuery[i] * keys + j] }),
        ]
        for keyOffset in [0, 4, 2] {
            let k = randomValues(batch * heads * keys * depth + keyOffset, seed: 121)
            for bias in cases {
                let result = try evaluate { recorder in
                    let storage = try context.upload(k, shape: [k.count])
                    let key = Tensor(storage: storage.storage, dtype: .f32, shape: [batch, heads, keys, depth], offset: keyOffset)
                    let query = try context.upload(q, shape: [batch, heads, queries, depth])
                    let value = try context.upload(v, shape: [batch, heads, keys, depth])
                    let table = try context.upload(bias.values, shape: bias.shape)
                    if bias.name == "query runs" {
                        return try recorder.attention(query: query, key: key, value: value,
                                                      bias: QueryRunBias(rows: table, runLengths: runLengths))
                    }
                    return try recorder.attention(query: query, key: key, value: value, bias: table)
                }
                let expected = referenceAttention(q: q, k: Array(k[keyOffset...]), v: v, batch: batch, heads: heads, queries: queries, keys: keys,
                                                  depth: depth, scale: 1 / Double(depth).squareRoot(), bias: bias.bias)
                assertClose(result, expected, threshold: 1e-7, "\(bias.name), K offset \(keyOffset)")
            }
        }
    }

    /// With `mergingHeads` the heads come out side by side, [B, Lq, H·D]: the same values as the
    /// [B, H, Lq, D] result permuted, with a dense bias and with query runs.
    func testMergedHeadsOutputIsThePermutedResult() throws {
        let (batch, heads, queries, keys, depth) = (2, 3, 11, 9, 8)
        let q = randomValues(batch * heads * queries * depth, seed: 110)
        let k = randomValues(batch * heads * keys * depth, seed: 111)
        let v = randomValues(batch * heads * keys * depth, seed: 112)
        let rows = randomValues(2 * keys, seed: 113)
        for runs in [false, true] {
            let recorder = try context.makeRecorder()
            let (qt, kt, vt) = try (context.upload(q, shape: [batch, heads, queries, depth]), context.upload(k, shape: [batch, heads, keys, depth]),
                                    context.upload(v, shape: [batch, heads, keys, depth]))
            let bias = try QueryRunBias(rows: context.upload(rows, shape: [2, keys]), runLengths: [4, queries - 4])
            let (merged, separate) = runs
                ? try (recorder.attention(query: qt, key: kt, value: vt, bias: bias, mergingHeads: true),
                       recorder.attention(query: qt, key: kt, value: vt, bias: bias))
                : try (recorder.attention(query: qt, key: kt, value: vt, mergingHeads: true), recorder.attention(query: qt, key: kt, value: vt))
            try recorder.submit()
            XCTAssertEqual(merged.shape, [batch, queries, heads * depth])
            let expected = gather(try context.download(separate), shape: [batch, queries, heads, depth],
                                  strides: [heads * queries * depth, depth, queries * depth, 1], offset: 0)
            XCTAssertEqual(try context.download(merged), expected, runs ? "query runs" : "no bias")
        }
    }

    func testQueryRunsMustCoverTheQueries() throws {
        let recorder = try context.makeRecorder()
        let q = try context.makeTensor(shape: [1, 1, 6, 4])
        let rows = try context.makeTensor(shape: [2, 6])
        XCTAssertThrowsError(try recorder.attention(query: q, key: q, value: q, bias: QueryRunBias(rows: rows, runLengths: [2, 3])))
        XCTAssertThrowsError(try QueryRunBias(rows: rows, runLengths: [6]))
    }

    func testFusedTokenLayoutReadsSlicesOfOneProjection() throws {
        // Flux joint attention: q, k and v are slices of one [B, L, 3·H·D] projection, heads interleaved per token.
        let (batch, tokens, heads, depth) = (2, 21, 3, 12)
        let width = heads * depth
        let qkv = randomValues(batch * tokens * 3 * width, seed: 103)
        let result = try evaluate { recorder in
            let fused = try context.upload(qkv, shape: [batch, tokens, 3 * width])
            return try recorder.attention(query: fused.sliced(axis: 2, 0..<width), key: fused.sliced(axis: 2, width..<(2 * width)),
                                          value: fused.sliced(axis: 2, (2 * width)..<(3 * width)), heads: heads, scale: 0.3)
        }
        // Host [B, H, L, D] copies of the three slices.
        func headMajor(_ part: Int) -> [Float] {
            gather(qkv, shape: [batch, heads, tokens, depth], strides: [tokens * 3 * width, depth, 3 * width, 1], offset: part * width)
        }
        let expected = referenceAttention(q: headMajor(0), k: headMajor(1), v: headMajor(2), batch: batch, heads: heads, queries: tokens, keys: tokens,
                                          depth: depth, scale: 0.3)
        // Back to [B, L, H·D].
        let tokenMajor = gather(expected, shape: [batch, tokens, heads, depth], strides: [heads * tokens * depth, depth, tokens * depth, 1], offset: 0)
        assertClose(result, tokenMajor, threshold: 1e-7, "fused layout")
    }

    func testModelHeadDimensions() throws {
        for depth in [64, 72, 128] {
            let (heads, queries, keys) = (2, 19, 23)
            let q = randomValues(heads * queries * depth, seed: UInt64(depth))
            let k = randomValues(heads * keys * depth, seed: UInt64(depth + 1))
            let v = randomValues(heads * keys * depth, seed: UInt64(depth + 2))
            let result = try evaluate { recorder in
                try recorder.attention(query: context.upload(q, shape: [1, heads, queries, depth]),
                                       key: context.upload(k, shape: [1, heads, keys, depth]),
                                       value: context.upload(v, shape: [1, heads, keys, depth]))
            }
            let expected = referenceAttention(q: q, k: k, v: v, batch: 1, heads: heads, queries: queries, keys: keys, depth: depth,
                                              scale: 1 / Double(depth).squareRoot())
            assertClose(result, expected, threshold: 1e-7, "head dimension \(depth)")
        }
    }

    func testLongSequence() throws {
        // 1,030 tokens: past a thousand, not a multiple of any block or tile size.
        let (heads, tokens, depth) = (1, 1030, 16)
        let q = randomValues(heads * tokens * depth, seed: 110)
        let k = randomValues(heads * tokens * depth, seed: 111)
        let v = randomValues(heads * tokens * depth, seed: 112)
        let result = try evaluate { recorder in
            try recorder.attention(query: context.upload(q, shape: [1, heads, tokens, depth]),
                                   key: context.upload(k, shape: [1, heads, tokens, depth]),
                                   value: context.upload(v, shape: [1, heads, tokens, depth]))
        }
        let expected = referenceAttention(q: q, k: k, v: v, batch: 1, heads: heads, queries: tokens, keys: tokens, depth: depth,
                                          scale: 0.25)
        assertClose(result, expected, threshold: 1e-7, "1,030 tokens")
    }

    func testUnalignedHeadDimensionIsRejected() throws {
        let recorder = try context.makeRecorder()
        let q = try context.makeTensor(shape: [1, 1, 4, 6])
        XCTAssertThrowsError(try recorder.attention(query: q, key: q, value: q)) { error in
            guard case VulkanError.invalidArgument(let message) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertTrue(message.contains("multiple of 4"), message)
        }
    }
}
