@testable import LoomVulkan
import XCTest

/// The `VK_KHR_cooperative_matrix` attention kernel (attention_coopmat) against the CPU reference of
/// AttentionTests, on shapes that leave partial query and key tiles (16 or 8). Skipped on devices without the
/// extension (the machine's Mesa 22); run them under a newer lavapipe with `../shared/tools/mesa-next` (see README).
final class CooperativeAttentionTests: XCTestCase {
    /// The kernel rounds Q, K, V and the softmax weights to f16 and accumulates in f32. Measured on lavapipe
    /// (tile 8): NMSE 3e-8 to 1.5e-7 on these inputs, far inside vulkan.md's reduced-precision budget of 5e-4;
    /// 1e-6 keeps a margin for other devices' summation orders and still catches a wrong rescale.
    static let threshold = 1e-6

    func cooperativeContext(headDimension: Int) throws -> VulkanContext {
        try LoomVulkanTests.cooperativeContext(for: "attention_coopmat") { $0.cooperativeAttentionAvailable(headDimension: headDimension) }
    }

    /// Runs `body` on `context` and returns the names of the shader variants it dispatched.
    func variants(_ context: VulkanContext, _ body: (CommandRecorder) throws -> Void) throws -> Set<String> {
        context.profile.start()
        let recorder = try context.makeRecorder()
        try body(recorder)
        try recorder.submit()
        return Set(context.profile.stop().filter { $0.kind == .shader }.map(\.name))
    }

    enum BiasForm {
        case none
        /// [Lq, Lk], causal-style with -inf entries.
        case mask
        /// [Lk], every seventh key -inf.
        case perKey
        /// [H, 1, Lk].
        case perHeadAndKey
        /// [B, 1, Lq, Lk] with query 1 of batch 0 fully masked: NaN, as from attention.comp and the reference.
        case perBatchAndQueryWithMaskedRow
    }

    struct Case {
        let batch, heads, queries, keys, depth: Int
        var bias = BiasForm.none
        /// Q, K and V as slices of one [B, L, 3·H·D] projection (Flux), the output [B, L, H·D].
        var fused = false
    }

    static let cases = [
        Case(batch: 1, heads: 1, queries: 16, keys: 64, depth: 64),
        Case(batch: 2, heads: 3, queries: 13, keys: 37, depth: 64, bias: .mask),
        Case(batch: 1, heads: 2, queries: 45, keys: 7, depth: 128, bias: .perKey),
        Case(batch: 2, heads: 2, queries: 19, keys: 83, depth: 128, bias: .perHeadAndKey),
        Case(batch: 2, heads: 3, queries: 17, keys: 29, depth: 64, bias: .perBatchAndQueryWithMaskedRow),
        Case(batch: 1, heads: 1, queries: 1, keys: 1, depth: 32),
        Case(batch: 1, heads: 2, queries: 9, keys: 40, depth: 256, bias: .mask),
        Case(batch: 2, heads: 3, queries: 21, keys: 21, depth: 64, fused: true),
        Case(batch: 1, heads: 2, queries: 150, keys: 150, depth: 80, fused: true),
        // Few query rows over many keys: split-KV, with partial last ranges, masked keys, a range that is all
        // masked for the early queries and a fully masked row.
        Case(batch: 1, heads: 1, queries: 8, keys: 1000, depth: 64),
        Case(batch: 1, heads: 2, queries: 5, keys: 301, depth: 32, bias: .perKey),
        Case(batch: 1, heads: 2, queries: 30, keys: 400, depth: 64, bias: .mask),
        Case(batch: 2, heads: 3, queries: 17, keys: 555, depth: 64, bias: .perBatchAndQueryWithMaskedRow),
        Case(batch: 1, heads: 2, queries: 3, keys: 700, depth: 128, bias: .perHeadAndKey),
    ]

    /// Whether `c` runs split-KV on `context`: the grid the unsplit kernel would have is small and the keys many.
    func splits(_ c: Case, on context: VulkanContext) throws -> Bool {
        let shape = try XCTUnwrap(context.cooperativeAttentionShape(headDimension: c.depth, queries: c.queries))
        let rows = shape.rowTiles * shape.tile
        return shape.keysPerSplit(keys: c.keys, workgroups: (c.queries + rows - 1) / rows * c.batch * c.heads) != nil
    }

    func biasTable(_ form: BiasForm, _ c: Case, seed: UInt64) -> (values: [Float], shape: [Int], at: (Int, Int, Int, Int) -> Float)? {
        let (batch, heads, queries, keys) = (c.batch, c.heads, c.queries, c.keys)
        switch form {
        case .none:
            return nil
        case .mask:
            let values = (0..<(queries * keys)).map { i -> Float in i % keys > i / keys + 20 ? -.infinity : Float(i % 5) * 0.1 }
            return (values, [queries, keys], { _, _, i, j in values[i * keys + j] })
        case .perKey:
            let values = randomValues(keys, seed: seed).enumerated().map { $0.offset % 7 == 3 ? -Float.infinity : $0.element }
            return (values, [keys], { _, _, _, j in values[j] })
        case .perHeadAndKey:
            let values = randomValues(heads * keys, seed: seed)
            return (values, [heads, 1, keys], { _, h, _, j in values[h * keys + j] })
        case .perBatchAndQueryWithMaskedRow:
            var values = randomValues(batch * queries * keys, seed: seed)
            for j in 0..<keys { values[1 * keys + j] = -.infinity }
            for j in stride(from: 0, to: keys, by: 3) { values[(queries + 2) * keys + j] = -.infinity }
            return (values, [batch, 1, queries, keys], { b, _, i, j in values[(b * queries + i) * keys + j] })
        }
    }

    func testCasesAgainstReference() throws {
        var worst = 0.0
        var splitCases = 0
        for c in Self.cases {
            let context = try cooperativeContext(headDimension: c.depth)
            let label = "\(c.batch)×\(c.heads)×\(c.queries)×\(c.keys)×\(c.depth) \(c.bias)\(c.fused ? " fused" : "")"
            let seed = UInt64(c.queries * 1000 + c.keys)
            let width = c.heads * c.depth
            // Head-major host copies for the reference; the device gets the same values in its layout.
            let q: [Float], k: [Float], v: [Float], fusedValues: [Float]
            if c.fused {
                fusedValues = randomValues(c.batch * c.queries * 3 * width, seed: seed)
                func headMajor(_ part: Int) -> [Float] {
                    gather(fusedValues, shape: [c.batch, c.heads, c.queries, c.depth],
                           strides: [c.queries * 3 * width, c.depth, 3 * width, 1], offset: part * width)
                }
                (q, k, v) = (headMajor(0), headMajor(1), headMajor(2))
            } else {
                fusedValues = []
                q = randomValues(c.batch * c.heads * c.queries * c.depth, seed: seed)
                k = randomValues(c.batch * c.heads * c.keys * c.depth, seed: seed + 1)
                v = randomValues(c.batch * c.heads * c.keys * c.depth, seed: seed + 2)
            }
            let bias = biasTable(c.bias, c, seed: seed + 3)
            var output: Tensor?
            let used = try variants(context) { recorder in
                let table = try bias.map { try context.upload($0.values, shape: $0.shape) }
                if c.fused {
                    let projection = try context.upload(fusedValues, shape: [c.batch, c.queries, 3 * width])
                    output = try recorder.attention(query: projection.sliced(axis: 2, 0..<width),
                                                    key: projection.sliced(axis: 2, width..<(2 * width)),
                                                    value: projection.sliced(axis: 2, (2 * width)..<(3 * width)),
                                                    heads: c.heads, bias: table)
                } else {
                    output = try recorder.attention(query: context.upload(q, shape: [c.batch, c.heads, c.queries, c.depth]),
                                                    key: context.upload(k, shape: [c.batch, c.heads, c.keys, c.depth]),
                                                    value: context.upload(v, shape: [c.batch, c.heads, c.keys, c.depth]), bias: table)
                }
            }
            let split = try splits(c, on: context)
            XCTAssertEqual(used, split ? ["attention_coopmat_split", "attention_combine"] : ["attention_coopmat"], label)
            if c.keys >= 300 { XCTAssertTrue(split, "\(label) splits its keys") }
            splitCases += split ? 1 : 0
            var expected = referenceAttention(q: q, k: k, v: v, batch: c.batch, heads: c.heads, queries: c.queries, keys: c.keys,
                                              depth: c.depth, scale: 1 / Double(c.depth).squareRoot(), bias: bias?.at ?? { _, _, _, _ in 0 })
            if c.fused {
                expected = gather(expected, shape: [c.batch, c.queries, c.heads, c.depth],
                                  strides: [c.heads * c.queries * c.depth, c.depth, c.queries * c.depth, 1], offset: 0)
            }
            let result = try context.download(try XCTUnwrap(output))
            if c.bias == .perBatchAndQueryWithMaskedRow {
                XCTAssertTrue(result[c.depth..<(2 * c.depth)].allSatisfy(\.isNaN), "\(label): the fully masked row")
            }
            assertClose(result, expected, threshold: Self.threshold, label)
            let finite = expected.indices.filter { expected[$0].isFinite }
            worst = max(worst, nmse(finite.map { expected[$0] }, finite.map { result[$0] }))
        }
        print("CooperativeAttentionTests: largest NMSE against the f64 reference \(worst), \(splitCases) cases split-KV")
    }

    /// Split-KV with 16-bit storage: f16 and bf16 inputs read by the split pass, f16 and bf16 outputs written by the
    /// merge, held to the same bounds as the unsplit kernel's 16-bit storage.
    func testSplitKeysWithSixteenBitStorage() throws {
        let context = try cooperativeContext(headDimension: 32)
        guard context.supports16BitActivations else { throw XCTSkip("this device has no 16-bit storage buffers") }
        let (f32, f16, bf16) = (DType.f32, DType.f16, DType.bf16)
        for dtypes in [[f16, f16, f16, bf16], [bf16, bf16, bf16, f16], [f32, f32, f32, bf16], [bf16, f16, f32, f32]] {
            let c = StoredAttentionCase(batch: 2, heads: 2, queries: 7, keys: 333, depth: 32, dtypes: dtypes, mergingHeads: dtypes[3] == f16)
            let (result, reference, variants) = try storedAttention(context, c)
            XCTAssertEqual(variants, ["attention_coopmat_split_16", "attention_combine\(dtypes[3] == f32 ? "" : "_16")"], c.label)
            let output = dtypes[3]
            assertClose(result, output.roundTrip(reference), threshold: output == .bf16 ? 1e-5 : Self.threshold, c.label)
            let (f32Result, _, f32Variants) = try storedAttention(context, c, stored: [f32, f32, f32, f32])
            XCTAssertEqual(f32Variants, ["attention_coopmat_split", "attention_combine"], c.label)
            assertClose(result, output.roundTrip(f32Result), threshold: sixteenBitStorageThreshold(output), "\(c.label) against f32 storage")
        }
    }

    /// Q, K, V and the output stored f32, f16 or bf16 (attention_coopmat_16), each dtype in each role and mixed:
    /// against the reference on the rounded inputs within the kernel's f16 budget, and, as tightly as
    /// AttentionTests bounds the f32 kernels, against this kernel's f32 run on the same values rounded on the
    /// host, which the kernel's own rounding would hide from the first check.
    func testSixteenBitStorage() throws {
        let context = try cooperativeContext(headDimension: 32)
        guard context.supports16BitActivations else { throw XCTSkip("this device has no 16-bit storage buffers") }
        let (f32, f16, bf16) = (DType.f32, DType.f16, DType.bf16)
        let combinations: [[DType]] = [
            [f16, f16, f16, f32], [f16, f16, f16, f16], [f16, f16, f16, bf16],
            [bf16, bf16, bf16, f32], [bf16, bf16, bf16, bf16], [bf16, bf16, bf16, f16],
            [f32, f32, f32, f16], [f32, f32, f32, bf16],
            [bf16, f16, f32, f16], [f32, bf16, f16, bf16], [f16, f32, bf16, f32],
        ]
        for (index, dtypes) in combinations.enumerated() {
            let c = StoredAttentionCase(batch: 2, heads: 2, queries: 19, keys: 29, depth: 32, dtypes: dtypes,
                                        keyOffset: index % 2 == 0 ? 0 : 2, mergingHeads: index % 3 == 0)
            let (result, reference, variants) = try storedAttention(context, c)
            XCTAssertEqual(variants, ["attention_coopmat_16"], c.label)
            let output = dtypes[3]
            // bf16's unit (2⁻⁸) turns the kernel's f16 rounding into whole-unit differences on more values.
            assertClose(result, output.roundTrip(reference), threshold: output == .bf16 ? 1e-5 : Self.threshold, c.label)
            let (f32Result, _, f32Variants) = try storedAttention(context, c, stored: [f32, f32, f32, f32])
            XCTAssertEqual(f32Variants, ["attention_coopmat"], c.label)
            assertClose(result, output.roundTrip(f32Result), threshold: sixteenBitStorageThreshold(output), "\(c.label) against f32 storage")
        }
    }

    /// The output written through a strided view of a larger buffer, f32 or bf16: the rows and columns around
    /// it keep their sentinels.
    func testOutputViewLeavesItsSurroundings() throws {
        let context = try cooperativeContext(headDimension: 64)
        for dtype in [DType.f32, .bf16] {
            let used = try attentionThroughOutputView(context, dtype: dtype, threshold: dtype == .f32 ? Self.threshold : 1e-5)
            XCTAssertEqual(used, [dtype == .f32 ? "attention_coopmat" : "attention_coopmat_16"])
        }
    }

    /// Values past f16's range (f32 or bf16 inputs) saturate as they are staged instead of turning the
    /// output into inf: one value of 1e6 in V leaves its column at most 65504.
    func testValuesBeyondHalfRangeSaturate() throws {
        let context = try cooperativeContext(headDimension: 32)
        let (queries, keys, depth) = (8, 8, 32)
        var v = [Float](repeating: 0.5, count: keys * depth)
        v[3 * depth + 5] = 1e6
        for dtype in [DType.f32, .bf16] where dtype == .f32 || context.supports16BitActivations {
            let recorder = try context.makeRecorder()
            let output = try recorder.attention(query: context.upload([Float](repeating: 0.01, count: queries * depth), shape: [1, 1, queries, depth]),
                                                key: context.upload([Float](repeating: 0.01, count: keys * depth), shape: [1, 1, keys, depth]),
                                                value: context.upload(v, shape: [1, 1, keys, depth], dtype: dtype))
            try recorder.submit()
            let result = try context.download(output)
            XCTAssertTrue(result.allSatisfy(\.isFinite), "\(dtype): \(result.prefix(8))")
            // Uniform weights over 8 keys: the column holds 65504 / 8 plus the other keys' 0.5s.
            XCTAssertEqual(result[5], (65504 + 7 * 0.5) / 8, accuracy: 16, "\(dtype)")
            XCTAssertEqual(result[4], 0.5, accuracy: 1e-3, "\(dtype)")
        }
    }

    /// A head dimension that is no multiple of the tile keeps the f32 kernel, silently.
    func testUntiledHeadDimensionFallsBack() throws {
        let context = try cooperativeContext(headDimension: 64)
        let (heads, queries, keys, depth) = (2, 9, 14, 36)
        XCTAssertFalse(context.cooperativeAttentionAvailable(headDimension: depth))
        let q = randomValues(heads * queries * depth, seed: 50)
        let k = randomValues(heads * keys * depth, seed: 51)
        let v = randomValues(heads * keys * depth, seed: 52)
        var output: Tensor?
        let used = try variants(context) { recorder in
            output = try recorder.attention(query: context.upload(q, shape: [1, heads, queries, depth]),
                                            key: context.upload(k, shape: [1, heads, keys, depth]),
                                            value: context.upload(v, shape: [1, heads, keys, depth]))
        }
        XCTAssertFalse(used.contains("attention_coopmat"), "\(used)")
        let expected = referenceAttention(q: q, k: k, v: v, batch: 1, heads: heads, queries: queries, keys: keys, depth: depth,
                                          scale: 1 / Double(depth).squareRoot())
        assertClose(try context.download(try XCTUnwrap(output)), expected, threshold: 1e-7, "head dimension 36")
    }
}
