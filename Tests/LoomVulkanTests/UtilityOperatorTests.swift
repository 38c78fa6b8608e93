import Foundation
import LoomVulkan
import XCTest

final class UtilityOperatorTests: XCTestCase {
    let context = sharedContext

    func testModulationAndGateBroadcastPerSample() throws {
        // x [B, L, C]; shift, scale and gate are per sample and channel, [B, 1, C].
        let (batch, tokens, channels) = (2, 7, 5)
        let x = randomValues(batch * tokens * channels, seed: 400), y = randomValues(batch * tokens * channels, seed: 401)
        let shift = randomValues(batch * channels, seed: 402), scale = randomValues(batch * channels, seed: 403)
        let perSample = { (values: [Float], index: Int) in values[(index / (tokens * channels)) * channels + index % channels] }
        let modulated = try evaluate { recorder in
            try recorder.modulate(context.upload(x, shape: [batch, tokens, channels]), shift: context.upload(shift, shape: [batch, 1, channels]),
                                  scale: context.upload(scale, shape: [batch, 1, channels]))
        }
        assertClose(modulated, x.indices.map { x[$0] * (1 + perSample(scale, $0)) + perSample(shift, $0) }, threshold: 1e-7, "modulate")
        let gated = try evaluate { recorder in
            try recorder.gatedAdd(context.upload(x, shape: [batch, tokens, channels]), gate: context.upload(shift, shape: [batch, 1, channels]),
                                  context.upload(y, shape: [batch, tokens, channels]))
        }
        assertClose(gated, x.indices.map { x[$0] + perSample(shift, $0) * y[$0] }, threshold: 1e-7, "gatedAdd")
    }

    func testQuickGELUAndReLUOnTransposedView() throws {
        let values = randomValues(5 * 9, seed: 410, in: -5...5)
        let host = gather(values, shape: [9, 5], strides: [1, 9], offset: 0)
        let quick = try evaluate { try $0.quickGELU(context.upload(values, shape: [5, 9]).transposed(0, 1)) }
        assertClose(quick, host.map { $0 / (1 + exp(-1.702 * $0)) }, threshold: 1e-7, "quickGELU")
        let relu = try evaluate { try $0.relu(context.upload(values, shape: [5, 9]).transposed(0, 1)) }
        XCTAssertEqual(relu, host.map { max($0, 0) })
    }

    func testPermuteSliceAndConcatenate() throws {
        let a = randomValues(2 * 3 * 4 * 5 * 3, seed: 420)
        let permuted = try evaluate { try $0.permute(context.upload(a, shape: [2, 3, 4, 5, 3]), [4, 2, 0, 3, 1]) }
        XCTAssertEqual(permuted, gather(a, shape: [3, 4, 2, 5, 3], strides: [1, 15, 180, 3, 60], offset: 0))
        let sliced = try evaluate { try $0.slice(context.upload(a, shape: [6, 4, 15]), axis: 2, 3..<11) }
        XCTAssertEqual(sliced, gather(a, shape: [6, 4, 8], strides: [60, 15, 1], offset: 3))
        let b = randomValues(6 * 2 * 15, seed: 421)
        let (shape, joined) = try evaluateWithShape { recorder in
            let first = try context.upload(a, shape: [6, 4, 15])
            return try recorder.concatenate([first.sliced(axis: 1, 1..<3), context.upload(b, shape: [6, 2, 15]), first], axis: 1)
        }
        XCTAssertEqual(shape, [6, 8, 15])
        var expected: [Float] = []
        for row in 0..<6 {
            expected += a[(row * 60 + 15)..<(row * 60 + 45)]
            expected += b[(row * 30)..<(row * 30 + 30)]
            expected += a[(row * 60)..<(row * 60 + 60)]
        }
        XCTAssertEqual(joined, expected)
    }

    /// Copies whose rows are contiguous on both sides move 4 values at a time on CPU devices where sizes, strides and
    /// offsets are multiples of 4 (a concatenation along the last axis, a strided slice into a slice), and one at a time
    /// where one is not. Sentinels around the destination must survive.
    func testCopiesMoveQuadsWhereRowsAlign() throws {
        let profile = context.profile
        for (rows, width, start, quads) in [(5, 12, 4, true), (3, 8, 0, true), (1, 4, 0, true), (4, 10, 4, false), (3, 8, 2, false)] {
            // Columns start..<start + width of [rows, width + 4] into the middle of a buffer of sentinels.
            let storage = randomValues(rows * (width + 4), seed: UInt64(440 + width + start))
            let padded = try context.upload([Float](repeating: -7, count: rows * width + 8), shape: [rows * width + 8])
            profile.start()
            _ = try evaluate { recorder in
                let source = try context.upload(storage, shape: [rows, width + 4]).sliced(axis: 1, start..<(start + width))
                let destination = try padded.sliced(axis: 0, 4..<(4 + rows * width)).reshaped([rows, width])
                try recorder.copy(source, into: destination)
                return destination
            }
            let moved = profile.stop().contains { $0.name == "copy_quads" }
            let back = try context.download(padded)
            let label = "\(rows)×\(width) from column \(start)"
            XCTAssertEqual(Array(back[4..<(4 + rows * width)]),
                           gather(storage, shape: [rows, width], strides: [width + 4, 1], offset: start), label)
            XCTAssertEqual(Array(back[..<4]) + Array(back[(4 + rows * width)...]), [Float](repeating: -7, count: 8), "sentinels, \(label)")
            if context.matmulKernel == .texels { XCTAssertEqual(moved, quads, label) }
        }
    }

    /// The channels-last transposes around CPU convolutions, which move 4 × 4 blocks where sizes, strides and
    /// offsets allow (one and two images, an offset slice) and fall back to the element copy where they do not.
    /// Sentinels past the copied region must survive.
    func testTransposesInBlocksAndElementwise() throws {
        let profile = context.profile
        for (batch, channels, height, width, start) in [(1, 8, 3, 4, 0), (2, 12, 4, 5, 4), (2, 6, 3, 4, 0), (1, 8, 3, 3, 2)] {
            let count = batch * channels * height * width
            let storage = randomValues(count + start + 4, seed: UInt64(430 + channels))
            profile.start()
            var output: Tensor?
            let values = try evaluate { recorder in
                let x = try context.upload(storage, shape: [count + start + 4]).sliced(axis: 0, start..<(start + count))
                    .reshaped([batch, channels, height, width])
                let channelsLast = try recorder.permute(x, [0, 2, 3, 1])
                let padded = try context.upload([Float](repeating: -7, count: count + 8), shape: [count + 8])
                output = padded
                try recorder.copy(channelsLast.reshaped([batch, height * width, channels]).permuted([0, 2, 1]),
                                  into: padded.sliced(axis: 0, 4..<(4 + count)).reshaped([batch, channels, height * width]))
                return channelsLast
            }
            let blocked = profile.stop().contains { $0.name == "transpose_texels" }
            let expected = gather(storage, shape: [batch, height, width, channels],
                                  strides: [channels * height * width, width, 1, height * width], offset: start)
            XCTAssertEqual(values, expected, "NCHW → NHWC \(batch)×\(channels)×\(height)×\(width) from \(start)")
            let back = try context.download(try XCTUnwrap(output))
            XCTAssertEqual(Array(back[4..<(4 + count)]), Array(storage[start..<(start + count)]), "NHWC → NCHW")
            XCTAssertEqual(Array(back[..<4]) + Array(back[(4 + count)...]), [Float](repeating: -7, count: 8), "sentinels")
            if context.matmulKernel == .texels {
                XCTAssertEqual(blocked, channels % 4 == 0 && (height * width) % 4 == 0 && start % 4 == 0, "\(channels) channels, \(height)×\(width)")
            }
        }
    }

    /// `copy` from a transposed slice into a slice of a larger tensor for every pair of f32, f16
    /// and bf16: each value rounded to nearest even exactly as the host encodes it, and the
    /// destination's other elements untouched. Strided 16-bit views also download and materialise
    /// in their dtype.
    func testCopyConvertsBetweenActivationDtypes() throws {
        guard context.supports16BitActivations else { throw XCTSkip("this device has no 16-bit storage buffers") }
        let values = [-0.0] + randomValues(5 * 7 * 9 - 1, seed: 425, in: -300...300)
        let sentinel: Float = -4096  // exact in every dtype
        for source in [DType.f32, .f16, .bf16] {
            let stored = source.roundTrip(values)
            // [5, 7, 9] → rows 1..<4, transposed: [9, 7, 3] with strides [1, 9, 63].
            let picked = gather(stored, shape: [9, 7, 3], strides: [1, 9, 63], offset: 63)
            let view = try context.upload(values, shape: [5, 7, 9], dtype: source).sliced(axis: 0, 1..<4).transposed(0, 2)
            for destination in [DType.f32, .f16, .bf16] {
                let label = "\(source) → \(destination)"
                let recorder = try context.makeRecorder()
                let target = try context.upload([Float](repeating: sentinel, count: 9 * 7 * 6), shape: [9, 7, 6], dtype: destination)
                try recorder.copy(view, into: target.sliced(axis: 2, 2..<5))
                try recorder.submit()
                let copied = try context.download(target)
                var expected = [Float](repeating: sentinel, count: copied.count)
                for (index, value) in destination.roundTrip(picked).enumerated() { expected[index / 3 * 6 + 2 + index % 3] = value }
                XCTAssertEqual(copied, expected, label)
                let truncated = truncatingRoundTrip(picked, destination)
                let lossy = source == .f32 ? destination != .f32 : source == .f16 && destination == .bf16
                if lossy { XCTAssertNotEqual(truncated, destination.roundTrip(picked), "\(label): truncation must differ") }
            }
            XCTAssertEqual(try context.download(view), picked, "\(source) strided download")
            let recorder = try context.makeRecorder()
            let dense = try recorder.contiguous(view), permuted = try recorder.permute(view, [2, 0, 1])
            try recorder.submit()
            XCTAssertEqual(dense.dtype, source)
            XCTAssertEqual(permuted.dtype, source)
            XCTAssertTrue(dense.isContiguous)
            XCTAssertEqual(try context.download(dense), picked, "\(source) contiguous")
            XCTAssertEqual(try context.download(permuted), gather(picked, shape: [3, 9, 7], strides: [1, 21, 3], offset: 0), "\(source) permute")
        }
        let recorder = try context.makeRecorder()
        XCTAssertThrowsError(try recorder.copy(context.makeTensor(shape: [4]), into: context.makeTensor(shape: [4], dtype: .f8E4M3))) { error in
            guard case VulkanError.invalidArgument(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("copy: destination must be f32, f16 or bf16"), message)
        }
    }

    /// `concatenate` of an f16 slice, an f32 and a bf16 tensor: the first input's dtype unless
    /// `dtype` says otherwise, each value converted as the host rounds it.
    func testConcatenateMixesActivationDtypes() throws {
        guard context.supports16BitActivations else { throw XCTSkip("this device has no 16-bit storage buffers") }
        let a = DType.f16.roundTrip(randomValues(6 * 4 * 15, seed: 426, in: -50...50))
        let b = randomValues(6 * 2 * 15, seed: 427, in: -50...50)
        let c = DType.bf16.roundTrip(randomValues(6 * 3 * 15, seed: 428, in: -50...50))
        var joined: [Float] = []
        for row in 0..<6 {
            joined += a[(row * 60 + 15)..<(row * 60 + 45)]
            joined += b[(row * 30)..<(row * 30 + 30)]
            joined += c[(row * 45)..<(row * 45 + 45)]
        }
        for dtype in [nil, DType.f32, .bf16] {
            let recorder = try context.makeRecorder()
            let inputs = try [context.upload(a, shape: [6, 4, 15], dtype: .f16).sliced(axis: 1, 1..<3),
                              context.upload(b, shape: [6, 2, 15]), context.upload(c, shape: [6, 3, 15], dtype: .bf16)]
            let result = try recorder.concatenate(inputs, axis: 1, dtype: dtype)
            try recorder.submit()
            let expectedType = dtype ?? .f16
            XCTAssertEqual(result.dtype, expectedType)
            XCTAssertEqual(result.shape, [6, 7, 15])
            XCTAssertEqual(try context.download(result), expectedType.roundTrip(joined), "concatenate as \(expectedType)")
        }
    }

    func testLatentPackingAndPixelUnshuffle() throws {
        let (n, c, h, w) = (2, 3, 6, 10)
        let x = randomValues(n * c * h * w, seed: 430)
        let (packedShape, packed) = try evaluateWithShape { try $0.packLatents(context.upload(x, shape: [n, c, h, w])) }
        XCTAssertEqual(packedShape, [n, 15, 12])
        // Token (i, j), feature (ch, ph, pw) = pixel (ch, 2i + ph, 2j + pw).
        let expected = (0..<packed.count).map { index -> Float in
            let feature = index % 12, token = (index / 12) % 15, b = index / 180
            let (ch, ph, pw) = (feature / 4, (feature / 2) % 2, feature % 2)
            return x[((b * c + ch) * h + 2 * (token / 5) + ph) * w + 2 * (token % 5) + pw]
        }
        XCTAssertEqual(packed, expected)
        let roundTrip = try evaluate { recorder in
            try recorder.unpackLatents(recorder.packLatents(context.upload(x, shape: [n, c, h, w])), height: 3, width: 5)
        }
        XCTAssertEqual(roundTrip, x)
        let (shape, unshuffled) = try evaluateWithShape { try $0.pixelUnshuffle(context.upload(x, shape: [n, c, h, w]), factor: 2) }
        XCTAssertEqual(shape, [n, 12, 3, 5])
        let reference = (0..<unshuffled.count).map { index -> Float in
            let xx = index % 5, y = (index / 5) % 3, channel = (index / 15) % 12, b = index / 180
            let (ch, ry, rx) = (channel / 4, (channel / 2) % 2, channel % 2)
            return x[((b * c + ch) * h + 2 * y + ry) * w + 2 * xx + rx]
        }
        XCTAssertEqual(unshuffled, reference)
    }

    func testNearestAndBilinearUpsampling() throws {
        let (h, w) = (3, 5)
        let x = randomValues(2 * h * w, seed: 440)
        let nearest = try evaluate { try $0.upsampled2x(context.upload(x, shape: [1, 2, h, w])) }
        XCTAssertEqual(nearest, (0..<(2 * 4 * h * w)).map { i in x[(i / (4 * h * w)) * h * w + (i / (2 * w) % (2 * h)) / 2 * w + (i % (2 * w)) / 2] })
        let bilinear = try evaluate { try $0.upsampled2x(context.upload(x, shape: [1, 2, h, w]), mode: .bilinear) }
        // PyTorch align_corners=False: source = (destination + 0.5) / 2 − 0.5, clamped at 0.
        func source(_ d: Int, _ size: Int) -> (Int, Int, Double) {
            let s = max((Double(d) + 0.5) / 2 - 0.5, 0)
            let low = min(Int(s), size - 1)
            return (low, min(low + 1, size - 1), s - Double(low))
        }
        let expected = (0..<bilinear.count).map { i -> Float in
            let plane = i / (4 * h * w), (y0, y1, fy) = source(i / (2 * w) % (2 * h), h), (x0, x1, fx) = source(i % (2 * w), w)
            let at = { (y: Int, xx: Int) in Double(x[plane * h * w + y * w + xx]) }
            return Float((at(y0, x0) * (1 - fx) + at(y0, x1) * fx) * (1 - fy) + (at(y1, x0) * (1 - fx) + at(y1, x1) * fx) * fy)
        }
        assertClose(bilinear, expected, threshold: 1e-7, "bilinear")
        // Stored channels-last: the same values once made contiguous, with channels innermost in memory.
        var strides: [Int] = []
        let channelsLast = try evaluate { recorder in
            let resized = try recorder.resized(context.upload(x, shape: [1, 2, h, w]), height: 2 * h, width: 2 * w, layout: .channelsLast)
            strides = resized.strides
            return try recorder.contiguous(resized)
        }
        XCTAssertEqual(strides, [8 * h * w, 1, 4 * w, 2])
        XCTAssertEqual(channelsLast, nearest)
    }

    func testMaxAndAveragePooling() throws {
        let (h, w) = (7, 8)
        let x = randomValues(3 * h * w, seed: 450)
        let maxPooled = try evaluateWithShape { try $0.pooled(context.upload(x, shape: [1, 3, h, w]), .max, kernel: (3, 3), stride: (2, 2), padding: (1, 1)) }
        XCTAssertEqual(maxPooled.shape, [1, 3, 4, 4])
        let average = try evaluate { try $0.pooled(context.upload(x, shape: [1, 3, h, w]), .average, kernel: (2, 2)) }
        for plane in 0..<3 {
            for y in 0..<4 {
                for xx in 0..<4 {
                    var largest = -Float.infinity
                    for iy in (2 * y - 1)...(2 * y + 1) where (0..<h).contains(iy) {
                        for ix in (2 * xx - 1)...(2 * xx + 1) where (0..<w).contains(ix) { largest = max(largest, x[(plane * h + iy) * w + ix]) }
                    }
                    XCTAssertEqual(maxPooled.values[(plane * 4 + y) * 4 + xx], largest)
                }
            }
            for y in 0..<3 {
                for xx in 0..<4 {
                    let window = [(0, 0), (0, 1), (1, 0), (1, 1)].map { x[(plane * h + 2 * y + $0.0) * w + 2 * xx + $0.1] }
                    XCTAssertEqual(average[(plane * 3 + y) * 4 + xx], window.reduce(0, +) / 4, accuracy: 1e-6)
                }
            }
        }
    }

    func testEmbeddingLookupInEveryDtype() throws {
        let (vocabulary, width) = (11, 64)
        let table = randomValues(vocabulary * width, seed: 460)
        let ids = [3, 0, 10, 3, 7]
        for dtype in DType.allCases {
            let stored = dtype.roundTrip(table)
            let result = try evaluate { try $0.embedding(context.upload(table, shape: [vocabulary, width], dtype: dtype), ids: ids) }
            XCTAssertEqual(result, ids.flatMap { stored[($0 * width)..<(($0 + 1) * width)] }, "\(dtype)")
        }
        let recorder = try context.makeRecorder()
        XCTAssertThrowsError(try recorder.embedding(context.makeTensor(shape: [vocabulary, width]), ids: [11]))
    }

    func testFluxTimestepEmbedding() {
        let embedding = timestepEmbedding([0.25, 1], dimension: 256)
        XCTAssertEqual(embedding.count, 512)
        // Row 0: t·1000 = 250; element 0 is cos(250·f₀) with f₀ = 1, element 128 is sin(250).
        XCTAssertEqual(embedding[0], Float(cos(250.0)), accuracy: 1e-5)
        XCTAssertEqual(embedding[128], Float(sin(250.0)), accuracy: 1e-5)
        // Row 1, i = 64: f = exp(−ln(10⁴)·64/128) = 0.01, argument 10.
        XCTAssertEqual(embedding[256 + 64], Float(cos(10.0)), accuracy: 1e-5)
        XCTAssertEqual(embedding[256 + 128 + 64], Float(sin(10.0)), accuracy: 1e-5)
        XCTAssertEqual(timestepEmbedding([0.5], dimension: 5).last, 0)
    }

    func testMeanOverLastDimensionOfView() throws {
        let x = randomValues(4 * 3 * 9, seed: 470)
        let (shape, result) = try evaluateWithShape { try $0.mean(context.upload(x, shape: [4, 3, 9]).transposed(0, 1)) }
        XCTAssertEqual(shape, [3, 4, 1])
        let expected = (0..<12).map { r in (0..<9).map { Double(x[((r % 4) * 3 + r / 4) * 9 + $0]) }.reduce(0, +) / 9 }.map(Float.init)
        assertClose(result, expected, threshold: 1e-7, "mean")
    }

    func testHalfPrecisionConversions() throws {
        // Odd count, a strided source and values that need rounding.
        let values = [.infinity, -0.0] + randomValues(5 * 7, seed: 480, in: -300...300)
        for dtype in [DType.f16, .bf16] {
            let (halves, back) = try evaluateHalves(values, dtype)
            XCTAssertEqual(halves, dtype.encode(gather(values, shape: [7, 5], strides: [1, 7], offset: 2)), "\(dtype) bits")
            XCTAssertEqual(back, dtype.roundTrip(gather(values, shape: [7, 5], strides: [1, 7], offset: 2)), "\(dtype) back to f32")
        }
    }

    /// Values 2..<37 as a transposed [7, 5] view converted to `dtype` (raw bytes), and
    /// those converted back to f32.
    private func evaluateHalves(_ values: [Float], _ dtype: DType) throws -> ([UInt8], [Float]) {
        let recorder = try context.makeRecorder()
        let view = try context.upload(values, shape: [37]).sliced(axis: 0, 2..<37).reshaped([5, 7]).transposed(0, 1)
        let half = try recorder.converted(view, to: dtype)
        let back = try recorder.converted(half, to: .f32)
        try recorder.submit()
        return (dtype.encode(try context.download(half)), try context.download(back))
    }
}
