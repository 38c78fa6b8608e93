import Foundation
@testable import LoomVulkan
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

/// One attention run with Q, K, V and the output each stored f32, f16 or bf16.
struct StoredAttentionCase {
    var batch = 2, heads = 3, queries = 13, keys = 37, depth = 8
    /// Q, K, V and the output.
    var dtypes: [DType]
    /// Elements before K's view in its buffer: a multiple of 4 lets CPU devices fetch f32 K as texels.
    var keyOffset = 0
    var mergingHeads = false

    var label: String {
        "Q \(dtypes[0]), K \(dtypes[1]), V \(dtypes[2]) → \(dtypes[3]), K offset \(keyOffset)\(mergingHeads ? ", merged heads" : "")"
    }
}

/// Runs `c` on `context`: Q, K and V are [B, H, L, D] views of token-major [B, L, H, D + 4] buffers a few
/// elements in, the bias a [B, 1, Lq, Lk] table that masks every fifth key of batch 1 and the whole of batch 0's
/// query 1 (a NaN row, as from the reference). The host values are rounded to `c.dtypes`; the device stores
/// them as `stored` (default `c.dtypes`). Returns the result, the Double reference on the rounded inputs (not
/// rounded to the output's dtype) and the shader variants dispatched.
func storedAttention(_ context: VulkanContext, _ c: StoredAttentionCase, stored: [DType]? = nil) throws
    -> (result: [Float], reference: [Float], variants: Set<String>) {
    let stored = stored ?? c.dtypes
    let (batch, heads, queries, keys, depth) = (c.batch, c.heads, c.queries, c.keys, c.depth)
    let row = depth + 4
    func input(_ role: Int, length: Int, offset: Int) -> (buffer: [Float], strides: [Int], offset: Int) {
        let values = randomValues(offset + batch * length * heads * row, seed: UInt64(300 + role))
        return (c.dtypes[role].roundTrip(values), [length * heads * row, row, heads * row, 1], offset)
    }
    let inputs = [input(0, length: queries, offset: 1), input(1, length: keys, offset: c.keyOffset), input(2, length: keys, offset: 4)]
    var bias = randomValues(batch * queries * keys, seed: 303, in: -1...1)
    for j in 0..<keys {
        bias[1 * keys + j] = -.infinity
        if j % 5 == 2 { for i in 0..<queries { bias[(queries + i) * keys + j] = -.infinity } }
    }
    context.profile.start()
    let recorder = try context.makeRecorder()
    let views = try inputs.indices.map { role in
        let (buffer, strides, offset) = inputs[role]
        let length = role == 0 ? queries : keys
        let storage = try context.upload(buffer, shape: [buffer.count], dtype: stored[role])
        return Tensor(storage: storage.storage, dtype: stored[role], shape: [batch, heads, length, depth], strides: strides, offset: offset)
    }
    let output = try recorder.attention(query: views[0], key: views[1], value: views[2],
                                        bias: context.upload(bias, shape: [batch, 1, queries, keys]),
                                        mergingHeads: c.mergingHeads, outputDType: stored[3])
    try recorder.submit()
    let variants = Set(context.profile.stop().filter { $0.kind == .shader }.map(\.name))
    XCTAssertEqual(output.dtype, stored[3], c.label)
    XCTAssertEqual(output.shape, c.mergingHeads ? [batch, queries, heads * depth] : [batch, heads, queries, depth], c.label)

    let headMajor = inputs.indices.map { role in
        gather(inputs[role].buffer, shape: [batch, heads, role == 0 ? queries : keys, depth], strides: inputs[role].strides,
               offset: inputs[role].offset)
    }
    var reference = referenceAttention(q: headMajor[0], k: headMajor[1], v: headMajor[2], batch: batch, heads: heads, queries: queries,
                                       keys: keys, depth: depth, scale: 1 / Double(depth).squareRoot()) { b, _, i, j in
        bias[(b * queries + i) * keys + j]
    }
    if c.mergingHeads {
        reference = gather(reference, shape: [batch, queries, heads, depth], strides: [heads * queries * depth, depth, queries * depth, 1], offset: 0)
    }
    return (try context.download(output), reference, variants)
}

/// Attention of 2 heads written through a [1, H, Lq, D] view of a [1, H, Lq + 2, D + 9] buffer of `dtype` (the
/// view starts on an odd element, so a 16-bit store that wrote 32 bits would show), against the reference
/// rounded to `dtype`; the rows and columns around the view must keep their sentinels. Returns the shader
/// variants dispatched.
func attentionThroughOutputView(_ context: VulkanContext, dtype: DType, threshold: Double) throws -> Set<String> {
    let (heads, queries, keys, depth) = (2, 11, 26, 64)
    let q = randomValues(heads * queries * depth, seed: 40)
    let k = randomValues(heads * keys * depth, seed: 41)
    let v = randomValues(heads * keys * depth, seed: 42)
    let sentinel: Float = 7168  // exact in f16 and bf16
    // The view skips the first and last row of each head and the last 9 columns.
    let (rows, width) = (queries + 2, depth + 9)
    let buffer = try context.upload([Float](repeating: sentinel, count: heads * rows * width), shape: [1, heads, rows, width], dtype: dtype)
    let view = try buffer.sliced(axis: 2, 1..<(queries + 1)).sliced(axis: 3, 0..<depth)
    context.profile.start()
    let recorder = try context.makeRecorder()
    try recorder.attention(context.upload(q, shape: [1, heads, queries, depth]), context.upload(k, shape: [1, heads, keys, depth]),
                           context.upload(v, shape: [1, heads, keys, depth]), bias: nil, scale: 0.2, into: view)
    try recorder.submit()
    let used = Set(context.profile.stop().filter { $0.kind == .shader }.map(\.name))
    let all = try context.download(buffer)
    let expected = referenceAttention(q: q, k: k, v: v, batch: 1, heads: heads, queries: queries, keys: keys, depth: depth, scale: 0.2)
    assertClose(gather(all, shape: [1, heads, queries, depth], strides: view.strides, offset: view.offset), dtype.roundTrip(expected),
                threshold: threshold, "\(dtype) output inside the view")
    var outside = 0
    for h in 0..<heads {
        for row in 0..<rows {
            for column in 0..<width where row == 0 || row == queries + 1 || column >= depth {
                XCTAssertEqual(all[(h * rows + row) * width + column], sentinel, "\(dtype) output: head \(h) row \(row) column \(column)")
                outside += 1
            }
        }
    }
    XCTAssertEqual(outside, heads * (2 * width + queries * 9))
    return used
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

    /// Every combination of f32, f16 and bf16 for Q, K, V and the output, through the plain kernel and, on CPU
    /// devices, the texel one (f32 K and V at texel-aligned offsets; 16-bit K or V take the plain kernel).
    func testSixteenBitStorageInEveryKernel() throws {
        guard context.supports16BitActivations else { throw XCTSkip("this device has no 16-bit storage buffers") }
        let types: [DType] = [.f32, .f16, .bf16]
        var cases: [StoredAttentionCase] = []
        for q in types {
            for k in types {
                for v in types {
                    for o in types { cases.append(StoredAttentionCase(dtypes: [q, k, v, o], mergingHeads: cases.count % 2 == 1)) }
                }
            }
            // K where no texel fetch can read it: the plain kernel with f32 K and V too.
            for o in types { cases.append(StoredAttentionCase(dtypes: [q, .f32, .f32, o], keyOffset: 2, mergingHeads: o == .f16)) }
        }
        for c in cases {
            let (result, reference, variants) = try storedAttention(context, c)
            let texels = context.device.info.kind == .cpu && c.keyOffset % 4 == 0 && c.dtypes[1] == .f32 && c.dtypes[2] == .f32
            let sixteenBit = c.dtypes.contains { $0 != .f32 }
            let shared = texels && !sixteenBit && context.device.subgroups.sharingSize != nil
            XCTAssertEqual(variants, [(texels ? "attention_texels" : "attention") + (sixteenBit ? "_16" : shared ? "_shared" : "")], c.label)
            let output = c.dtypes[3]
            let expected = output.roundTrip(reference)
            assertClose(result, expected, threshold: sixteenBitStorageThreshold(output), c.label)
            if output != .f32 {
                let (finite, cut) = (expected.indices.filter { expected[$0].isFinite }, truncatingRoundTrip(reference, output))
                let truncation = nmse(finite.map { expected[$0] }, finite.map { cut[$0] })
                XCTAssertGreaterThan(truncation, 10 * sixteenBitStorageThreshold(output), "\(c.label): a truncating store would pass")
            }
        }
    }

    /// The texel kernel whose lanes share their key and value fetches (where subgroups shuffle) and the one without:
    /// heads of 36 need two shares of a row's 9 texels; 13 and 70 queries leave lanes of the last subgroup idle.
    func testTexelKernelWithAndWithoutSharedFetches() throws {
        guard context.matmulKernel == .texels else { throw XCTSkip("the texel kernels run on CPU devices") }
        let sharing = context.device.subgroups.sharingSize != nil
        let unshared = try VulkanContext(sharingFetches: false)
        for (queries, keys, depth) in [(13, 37, 8), (70, 19, 36), (9, 64, 32)] {
            let c = StoredAttentionCase(queries: queries, keys: keys, depth: depth, dtypes: [.f32, .f32, .f32, .f32], mergingHeads: depth == 36)
            for (context, name) in [(context, sharing ? "attention_texels_shared" : "attention_texels"), (unshared, "attention_texels")] {
                let (result, reference, variants) = try storedAttention(context, c)
                XCTAssertEqual(variants, [name], c.label)
                assertClose(result, reference, threshold: 1e-10, "\(name): \(c.label)")
            }
        }
    }

    /// 16-bit stores through a strided view that starts on an odd element leave its neighbours alone.
    func testSixteenBitOutputViewLeavesItsSurroundings() throws {
        guard context.supports16BitActivations else { throw XCTSkip("this device has no 16-bit storage buffers") }
        for dtype in [DType.f16, .bf16] {
            let used = try attentionThroughOutputView(context, dtype: dtype, threshold: sixteenBitStorageThreshold(dtype))
            XCTAssertEqual(used, [context.device.info.kind == .cpu ? "attention_texels_16" : "attention_16"], "\(dtype)")
        }
    }

    func testOtherStorageTypesAreRefused() throws {
        let recorder = try context.makeRecorder()
        let q = try context.makeTensor(shape: [1, 1, 4, 8])
        let fp8 = try context.makeTensor(shape: [1, 1, 4, 8], dtype: .f8E4M3)
        XCTAssertThrowsError(try recorder.attention(query: q, key: fp8, value: q)) { error in
            guard case VulkanError.invalidArgument(let message) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertTrue(message.contains("attention: key must be f32, f16 or bf16"), message)
        }
        XCTAssertThrowsError(try recorder.attention(query: q, key: q, value: q, outputDType: .f8E4M3)) { error in
            guard case VulkanError.invalidArgument(let message) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertTrue(message.contains("attention: output must be f32, f16 or bf16"), message)
        }
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
