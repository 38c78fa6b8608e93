import Foundation
import LoomVulkan
import XCTest

/// CPU references in Double, then compared to the device's f32 results.
final class NormalizationTests: XCTestCase {
    let context = sharedContext

    func referenceRows(_ rows: [[Float]], _ transform: ([Double]) -> [Double]) -> [Float] {
        rows.flatMap { transform($0.map(Double.init)).map(Float.init) }
    }

    func testSoftmaxOverLastDimensionOfPermutedView() throws {
        let values = randomValues(5 * 3 * 37, seed: 10, in: -20...20)
        let view = try context.upload(values, shape: [5, 3, 37]).permuted([1, 0, 2])  // [3, 5, 37]
        let host = gather(values, shape: [3, 5, 37], strides: [37, 111, 1], offset: 0)
        let rows = stride(from: 0, to: host.count, by: 37).map { Array(host[$0..<($0 + 37)]) }
        let expected = referenceRows(rows) { row in
            let top = row.max()!
            let exps = row.map { exp($0 - top) }
            let sum = exps.reduce(0, +)
            return exps.map { $0 / sum }
        }
        assertClose(try evaluate { try $0.softmax(view) }, expected, threshold: 1e-7, "softmax")
    }

    func testSoftmaxOverStridedLastDimension() throws {
        let values = randomValues(12 * 7, seed: 11)
        let view = try context.upload(values, shape: [12, 7]).transposed(0, 1)  // softmax along stride 7
        let host = gather(values, shape: [7, 12], strides: [1, 7], offset: 0)
        let rows = stride(from: 0, to: host.count, by: 12).map { Array(host[$0..<($0 + 12)]) }
        let expected = referenceRows(rows) { row in
            let exps = row.map { exp($0 - row.max()!) }
            return exps.map { $0 / exps.reduce(0, +) }
        }
        assertClose(try evaluate { try $0.softmax(view) }, expected, threshold: 1e-7, "strided softmax")
    }

    func layerNormReference(_ row: [Double], _ epsilon: Double, rms: Bool) -> [Double] {
        let mean = rms ? 0 : row.reduce(0, +) / Double(row.count)
        let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(row.count)
        return row.map { ($0 - mean) / (variance + epsilon).squareRoot() }
    }

    func testLayerNormWithAndWithoutAffine() throws {
        let width = 45
        let values = randomValues(7 * width, seed: 12, in: -3...5)
        let weight = randomValues(width, seed: 13)
        let bias = randomValues(width, seed: 14)
        let x = try context.upload(values, shape: [7, width])
        let rows = stride(from: 0, to: values.count, by: width).map { Array(values[$0..<($0 + width)]) }
        let plain = referenceRows(rows) { layerNormReference($0, 1e-5, rms: false) }
        let affine = plain.enumerated().map { $0.element * weight[$0.offset % width] + bias[$0.offset % width] }
        assertClose(try evaluate { try $0.layerNorm(x) }, plain, threshold: 1e-7, "layer norm")
        let w = try context.upload(weight, shape: [width])
        let b = try context.upload(bias, shape: [width])
        assertClose(try evaluate { try $0.layerNorm(x, weight: w, bias: b) }, affine, threshold: 1e-7, "affine layer norm")
    }

    func testLayerNormOfSlicedView() throws {
        let values = randomValues(6 * 40, seed: 15)
        let view = try context.upload(values, shape: [6, 40]).sliced(axis: 1, 5..<36)
        let host = gather(values, shape: [6, 31], strides: [40, 1], offset: 5)
        let rows = stride(from: 0, to: host.count, by: 31).map { Array(host[$0..<($0 + 31)]) }
        let expected = referenceRows(rows) { layerNormReference($0, 1e-6, rms: false) }
        assertClose(try evaluate { try $0.layerNorm(view, epsilon: 1e-6) }, expected, threshold: 1e-7, "sliced layer norm")
    }

    func testRMSNormWithWeight() throws {
        let width = 67
        let values = randomValues(3 * 2 * width, seed: 16)
        let weight = randomValues(width, seed: 17)
        let rows = stride(from: 0, to: values.count, by: width).map { Array(values[$0..<($0 + width)]) }
        let expected = referenceRows(rows) { layerNormReference($0, 1e-6, rms: true) }
            .enumerated().map { $0.element * weight[$0.offset % width] }
        let result = try evaluate { try $0.rmsNorm(context.upload(values, shape: [3, 2, width]), weight: context.upload(weight, shape: [width])) }
        assertClose(result, expected, threshold: 1e-7, "rms norm")
    }

    func testGroupNormWithAffine() throws {
        let (batch, channels, height, width, groups) = (2, 12, 5, 3, 4)
        let spatial = height * width
        let values = randomValues(batch * channels * spatial, seed: 18, in: -1...3)
        let weight = randomValues(channels, seed: 19)
        let bias = randomValues(channels, seed: 20)
        let perGroup = channels / groups * spatial
        let expected = stride(from: 0, to: values.count, by: perGroup).flatMap { start in
            let normalised = layerNormReference(values[start..<(start + perGroup)].map(Double.init), 1e-5, rms: false)
            return normalised.enumerated().map { index, value in
                let channel = ((start + index) / spatial) % channels
                return Float(value * Double(weight[channel]) + Double(bias[channel]))
            }
        }
        let result = try evaluate { recorder in
            try recorder.groupNorm(context.upload(values, shape: [batch, channels, height, width]), groups: groups,
                                   weight: context.upload(weight, shape: [channels]), bias: context.upload(bias, shape: [channels]))
        }
        assertClose(result, expected, threshold: 1e-7, "group norm")
    }

    /// A VAE-sized group (2 channels of 128×128 per group, a million values in all): each group is
    /// reduced by a whole workgroup; one invocation per group gave wrong results on llvmpipe past
    /// about 20 000 values per group.
    func testGroupNormOfLargeGroups() throws {
        let (channels, height, width, groups) = (64, 128, 128, 32)
        let spatial = height * width
        let values = randomValues(channels * spatial, seed: 21, in: 2...4)
        let perGroup = channels / groups * spatial
        let expected = stride(from: 0, to: values.count, by: perGroup).flatMap { start in
            layerNormReference(values[start..<(start + perGroup)].map(Double.init), 1e-6, rms: false).map { Float($0) }
        }
        let result = try evaluate { recorder in
            try recorder.groupNorm(context.upload(values, shape: [1, channels, height, width]), groups: groups, epsilon: 1e-6)
        }
        assertClose(result, expected, threshold: 1e-7, "large group norm")
    }

    /// Group norm with SiLU fused, stored contiguous or channels-last, with spatial sizes that do
    /// and do not allow 4-value texel reads.
    func testGroupNormWithSiLUInBothLayouts() throws {
        for (height, width) in [(4, 6), (3, 5)] {
            let (batch, channels, groups) = (2, 16, 4)
            let spatial = height * width
            let values = randomValues(batch * channels * spatial, seed: 22, in: -2...3)
            let weight = randomValues(channels, seed: 23)
            let bias = randomValues(channels, seed: 24)
            let perGroup = channels / groups * spatial
            let expected: [Float] = stride(from: 0, to: values.count, by: perGroup).flatMap { start in
                layerNormReference(values[start..<(start + perGroup)].map(Double.init), 1e-5, rms: false).enumerated().map { index, value in
                    let channel = ((start + index) / spatial) % channels
                    let y = value * Double(weight[channel]) + Double(bias[channel])
                    return Float(y / (1 + exp(-y)))
                }
            }
            for layout in [ActivationLayout.contiguous, .channelsLast] {
                var strides: [Int] = []
                let result = try evaluate { recorder in
                    let normalised = try recorder.groupNorm(context.upload(values, shape: [batch, channels, height, width]), groups: groups,
                                                            weight: context.upload(weight, shape: [channels]),
                                                            bias: context.upload(bias, shape: [channels]), applyingSiLU: true, layout: layout)
                    strides = normalised.strides
                    return try recorder.contiguous(normalised)
                }
                XCTAssertEqual(strides, layout == .channelsLast ? [spatial * channels, 1, width * channels, channels]
                                                                : [channels * spatial, spatial, width, 1])
                assertClose(result, expected, threshold: 1e-7, "group norm + SiLU \(height)×\(width) \(layout)")
            }
        }
    }

    /// Channels-last group norm four channels to a store and one at a time, with groups of one and three channels,
    /// two images, and with and without the affine and SiLU, against the contiguous kernel.
    func testChannelsLastGroupNormWithSmallGroups() throws {
        for (channels, groups) in [(8, 8), (12, 4), (6, 2)] {
            for affine in [true, false] {
                let (batch, height, width) = (2, 4, 3)
                let values = randomValues(batch * channels * height * width, seed: UInt64(25 + channels), in: -2...3)
                let weight = randomValues(channels, seed: 26)
                let bias = randomValues(channels, seed: 27)
                func normalised(_ layout: ActivationLayout) throws -> [Float] {
                    try evaluate { recorder in
                        try recorder.contiguous(recorder.groupNorm(context.upload(values, shape: [batch, channels, height, width]), groups: groups,
                                                                   weight: affine ? context.upload(weight, shape: [channels]) : nil,
                                                                   bias: affine ? context.upload(bias, shape: [channels]) : nil,
                                                                   applyingSiLU: affine, layout: layout))
                    }
                }
                assertClose(try normalised(.channelsLast), try normalised(.contiguous), threshold: 1e-10,
                            "\(channels) channels in \(groups) groups, affine and SiLU \(affine)")
            }
        }
    }

    /// adaLN in one pass against layer norm in Double then `· (1 + scale) + shift`: per-sample
    /// vectors sliced from one modulation vector (as Flux's chunks are), shared [W] vectors, and a
    /// strided input view.
    func testModulatedLayerNormMatchesNormThenModulate() throws {
        let (batch, tokens, width) = (2, 5, 12)
        let storage = randomValues(batch * tokens * (width + 3), seed: 91)
        let x = try context.upload(storage, shape: [batch, tokens, width + 3]).sliced(axis: 2, 3..<(width + 3))
        let dense = gather(storage, shape: [batch, tokens, width], strides: [tokens * (width + 3), width + 3, 1], offset: 3)
        let chunks = randomValues(batch * 3 * width, seed: 92)
        let shared = randomValues(2 * width, seed: 93)
        for perSample in [true, false] {
            let values = try evaluate { recorder in
                let (shift, scale) = perSample
                    ? try (context.upload(chunks, shape: [batch, 1, 3 * width]).sliced(axis: 2, 0..<width),
                           context.upload(chunks, shape: [batch, 1, 3 * width]).sliced(axis: 2, (2 * width)..<(3 * width)))
                    : try (context.upload(Array(shared[..<width]), shape: [width]), context.upload(Array(shared[width...]), shape: [width]))
                return try recorder.modulatedLayerNorm(x, shift: shift, scale: scale, epsilon: 1e-6)
            }
            var expected: [Float] = []
            for row in 0..<(batch * tokens) {
                let b = row / tokens
                let v = dense[(row * width)..<((row + 1) * width)].map(Double.init)
                let mean = v.reduce(0, +) / Double(width)
                let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
                for j in 0..<width {
                    let shift = perSample ? Double(chunks[b * 3 * width + j]) : Double(shared[j])
                    let scale = perSample ? Double(chunks[b * 3 * width + 2 * width + j]) : Double(shared[width + j])
                    expected.append(Float((v[j] - mean) / (variance + 1e-6).squareRoot() * (1 + scale) + shift))
                }
            }
            assertClose(values, expected, threshold: 1e-12, perSample ? "per-sample vectors" : "shared vectors")
        }
        let recorder = try context.makeRecorder()
        let wrong = try context.makeTensor(shape: [batch, 1, width - 1])
        XCTAssertThrowsError(try recorder.modulatedLayerNorm(x, shift: wrong, scale: wrong)) { error in
            guard case VulkanError.invalidArgument(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("modulatedLayerNorm: shift"), message)
        }
    }

    /// The GPU-style kernels' path, a workgroup of 256 per row reducing in shared memory: rows narrower
    /// than the workgroup and wider than it by an odd remainder, from a strided view, f32 and f16 output.
    func testRowPerWorkgroupMatchesTheReference() throws {
        let gpuStyle = try VulkanContext(matmulKernel: .tiled)
        for width in [37, 3 * 256 + 5] {
            let rows = 6
            let storage = randomValues(rows * (width + 2), seed: 97, in: -3...5)
            let dense = gather(storage, shape: [rows, width], strides: [width + 2, 1], offset: 1)
            let weight = randomValues(width, seed: 98), bias = randomValues(width, seed: 99)
            let rowValues = stride(from: 0, to: dense.count, by: width).map { Array(dense[$0..<($0 + width)]) }
            let layer = referenceRows(rowValues) { v in
                let mean = v.reduce(0, +) / Double(width)
                let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
                return v.enumerated().map { ($0.element - mean) / (variance + 1e-5).squareRoot() * Double(weight[$0.offset]) + Double(bias[$0.offset]) }
            }
            let rms = referenceRows(rowValues) { v in
                let scale = 1 / (v.map { $0 * $0 }.reduce(0, +) / Double(width) + 1e-6).squareRoot()
                return v.enumerated().map { $0.element * scale * Double(weight[$0.offset]) }
            }
            for dtype in [DType.f32, .f16] {
                let recorder = try gpuStyle.makeRecorder()
                let x = try gpuStyle.upload(storage, shape: [rows, width + 2]).sliced(axis: 1, 1..<(width + 1))
                let w = try gpuStyle.upload(weight, shape: [width]), b = try gpuStyle.upload(bias, shape: [width])
                let normed = try recorder.layerNorm(x, weight: w, bias: b, outputDType: dtype)
                let rmsNormed = try recorder.rmsNorm(x, weight: w, outputDType: dtype)
                try recorder.submit()
                let threshold = dtype == .f32 ? 1e-12 : sixteenBitStorageThreshold(dtype)
                assertClose(try gpuStyle.download(normed), dtype.roundTrip(layer), threshold: threshold, "layer norm, width \(width), \(dtype)")
                assertClose(try gpuStyle.download(rmsNormed), dtype.roundTrip(rms), threshold: threshold, "RMS norm, width \(width), \(dtype)")
            }
        }
    }

    /// Layer norm (weight and bias), RMS norm (weight) and adaLN (per-sample vectors) of a strided
    /// f32 view with an odd width, stored f16 or bf16: equal to the Double reference rounded to
    /// the output dtype, at a threshold that a truncating store would exceed.
    func testRowNormsStoreSixteenBitOutputs() throws {
        guard context.supports16BitActivations else { throw XCTSkip("this device has no 16-bit storage buffers") }
        let (batch, tokens, width) = (3, 5, 37)
        let storage = randomValues(batch * tokens * (width + 4), seed: 94, in: -3...5)
        let x = try context.upload(storage, shape: [batch, tokens, width + 4]).sliced(axis: 2, 3..<(width + 3))
        let dense = gather(storage, shape: [batch, tokens, width], strides: [tokens * (width + 4), width + 4, 1], offset: 3)
        let rows = stride(from: 0, to: dense.count, by: width).map { dense[$0..<($0 + width)].map(Double.init) }
        let weight = randomValues(width, seed: 95), bias = randomValues(width, seed: 96)
        let chunks = randomValues(batch * 3 * width, seed: 97)
        let layer = rows.flatMap { row in
            layerNormReference(row, 1e-5, rms: false).enumerated().map { Float($1 * Double(weight[$0]) + Double(bias[$0])) }
        }
        let rms = rows.flatMap { row in layerNormReference(row, 1e-6, rms: true).enumerated().map { Float($1 * Double(weight[$0])) } }
        let modulated = rows.enumerated().flatMap { r, row in
            let b = r / tokens
            return layerNormReference(row, 1e-6, rms: false).enumerated().map { j, v in
                Float(v * (1 + Double(chunks[b * 3 * width + 2 * width + j])) + Double(chunks[b * 3 * width + j]))
            }
        }
        let w = try context.upload(weight, shape: [width]), bi = try context.upload(bias, shape: [width])
        let vectors = try context.upload(chunks, shape: [batch, 1, 3 * width])
        let (shift, scale) = try (vectors.sliced(axis: 2, 0..<width), vectors.sliced(axis: 2, (2 * width)..<(3 * width)))
        for dtype in [DType.f16, .bf16] {
            let recorder = try context.makeRecorder()
            let results = try [recorder.layerNorm(x, weight: w, bias: bi, outputDType: dtype),
                               recorder.rmsNorm(x, weight: w, outputDType: dtype),
                               recorder.modulatedLayerNorm(x, shift: shift, scale: scale, outputDType: dtype)]
            try recorder.submit()
            let threshold = sixteenBitStorageThreshold(dtype)
            for (result, (name, reference)) in zip(results, [("layer norm", layer), ("rms norm", rms), ("modulated layer norm", modulated)]) {
                XCTAssertEqual(result.dtype, dtype, name)
                XCTAssertEqual(result.shape, [batch, tokens, width], name)
                let expected = dtype.roundTrip(reference)
                assertClose(try context.download(result), expected, threshold: threshold, "\(name) → \(dtype)")
                XCTAssertGreaterThan(nmse(expected, truncatingRoundTrip(reference, dtype)), threshold, "\(name): truncation must fail")
            }
        }
        let recorder = try context.makeRecorder()
        XCTAssertThrowsError(try recorder.rmsNorm(x, outputDType: .f8E4M3)) { error in
            guard case VulkanError.invalidArgument(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("rmsNorm: output must be f32, f16 or bf16"), message)
        }
    }
}
