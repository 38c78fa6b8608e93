import Foundation
import LoomVulkan
import XCTest

final class RotaryEmbeddingTests: XCTestCase {
    let context = sharedContext

    func testTableFollowsFluxAxes() throws {
        // Two tokens, axes of 2, 4 and 2 dimensions (pairs: 1 + 2 + 1).
        let positions: [Float] = [0, 3, 5, 1, 2, 7]
        let table = try RotaryEmbedding.table(positions: positions, axisDimensions: [2, 4, 2], theta: 10_000)
        XCTAssertEqual(table.count, 2 * 4 * 2)
        // Token 1, axis 1 (row 2), second pair: angle 2·10000^(−2/4) = 0.02.
        XCTAssertEqual(table[(4 + 2) * 2], Float(cos(0.02)), accuracy: 1e-7)
        XCTAssertEqual(table[(4 + 2) * 2 + 1], Float(sin(0.02)), accuracy: 1e-7)
        // Token 0, axis 2 (column 5), first pair: angle 5.
        XCTAssertEqual(table[3 * 2 + 1], Float(sin(5.0)), accuracy: 1e-7)
        XCTAssertThrowsError(try RotaryEmbedding.table(positions: positions, axisDimensions: [3, 3]))
    }

    func testRotationOfTokenMajorView() throws {
        // q laid out as [B, L, H, D] (Flux's projection) and read as [B, H, L, D] through strides.
        let (batch, tokens, heads, depth) = (2, 11, 3, 16)
        let axisDimensions = [4, 6, 6]
        let positions = (0..<(tokens * 3)).map { Float(($0 * 7) % 13) }
        let x = randomValues(batch * tokens * heads * depth, seed: 300)
        let table = try RotaryEmbedding.table(positions: positions, axisDimensions: axisDimensions)
        let result = try evaluate { recorder in
            let view = try context.upload(x, shape: [batch, tokens, heads, depth]).transposed(1, 2)
            return try recorder.rope(view, table: context.upload(table, shape: [tokens, depth / 2, 2]))
        }
        let headMajor = gather(x, shape: [batch, heads, tokens, depth], strides: [tokens * heads * depth, depth, heads * depth, 1], offset: 0)
        // Reference from the angles directly, in Double.
        var expected = [Float](repeating: 0, count: headMajor.count)
        for index in stride(from: 0, to: headMajor.count, by: 2) {
            let token = (index / depth) % tokens, pair = (index % depth) / 2
            var axis = 0, first = 0
            while pair >= first + axisDimensions[axis] / 2 { first += axisDimensions[axis] / 2; axis += 1 }
            let j = pair - first
            let angle = Double(positions[token * 3 + axis]) * pow(10_000, -2 * Double(j) / Double(axisDimensions[axis]))
            let (x0, x1) = (Double(headMajor[index]), Double(headMajor[index + 1]))
            expected[index] = Float(cos(angle) * x0 - sin(angle) * x1)
            expected[index + 1] = Float(sin(angle) * x0 + cos(angle) * x1)
        }
        assertClose(result, expected, threshold: 1e-7, "rope")
    }

    /// RMS norm and RoPE in one pass, stored into the middle tokens of a larger joint tensor with
    /// its table rows taken from the same positions: equal to `rmsNorm` then `rope` (the same
    /// arithmetic), and the joint tensor's other tokens keep their sentinels.
    func testNormAndRotationIntoAJointSlice() throws {
        let (batch, heads, tokens, depth, joint) = (2, 3, 5, 8, 9)
        let x = randomValues(batch * tokens * heads * depth, seed: 121)
        let scale = randomValues(depth, seed: 122)
        let table = randomValues(joint * depth, seed: 123)  // any (cos, sin) pairs do
        let range = 3..<(3 + tokens)
        let recorder = try context.makeRecorder()
        let view = try context.upload(x, shape: [batch, tokens, heads, depth]).transposed(1, 2)
        let fullTable = try context.upload(table, shape: [joint, depth / 2, 2])
        let sentinel: Float = -7777
        let output = try context.upload([Float](repeating: sentinel, count: batch * heads * joint * depth), shape: [batch, heads, joint, depth])
        let weight = try context.upload(scale, shape: [depth])
        try recorder.rmsNormRope(view, weight: weight, table: fullTable.sliced(axis: 0, range), into: output.sliced(axis: 2, range))
        let separate = try recorder.rope(recorder.rmsNorm(view, weight: weight, epsilon: 1e-6), table: fullTable.sliced(axis: 0, range))
        try recorder.submit()
        let fused = try context.download(output)
        let expected = try context.download(separate)
        for b in 0..<batch {
            for h in 0..<heads {
                for t in 0..<joint {
                    let row = Array(fused[(((b * heads + h) * joint + t) * depth)..<(((b * heads + h) * joint + t + 1) * depth)])
                    if range.contains(t) {
                        let start = ((b * heads + h) * tokens + t - range.lowerBound) * depth
                        XCTAssertEqual(row, Array(expected[start..<(start + depth)]), "b \(b) h \(h) token \(t)")
                    } else {
                        XCTAssertEqual(row, [Float](repeating: sentinel, count: depth), "b \(b) h \(h) token \(t) outside the slice")
                    }
                }
            }
        }
        XCTAssertThrowsError(try recorder.rmsNormRope(view, weight: weight, table: fullTable, into: output.sliced(axis: 2, range)))
    }

    /// `rmsNormRope` with x and the output each f32, f16 or bf16: x a token-major view, the output
    /// the middle tokens of a joint tensor. Against a Double reference on the rounded input, rounded
    /// to the output dtype; the joint tensor's other tokens keep their sentinels.
    func testNormAndRotationInSixteenBitStorage() throws {
        guard context.supports16BitActivations else { throw XCTSkip("this device has no 16-bit storage buffers") }
        let (batch, heads, tokens, depth, joint) = (2, 3, 7, 10, 11)
        let axisDimensions = [2, 4, 4]
        let positions = (0..<(tokens * 3)).map { Float(($0 * 5) % 11) }
        let table = try RotaryEmbedding.table(positions: positions, axisDimensions: axisDimensions)
        let scale = randomValues(depth, seed: 124, in: 0.5...1.5)
        let range = 2..<(2 + tokens)
        let sentinel: Float = -4096  // exact in every dtype
        for input in [DType.f32, .f16, .bf16] {
            let x = input.roundTrip(randomValues(batch * tokens * heads * depth, seed: 125, in: -4...4))
            let headMajor = gather(x, shape: [batch, heads, tokens, depth], strides: [tokens * heads * depth, depth, heads * depth, 1], offset: 0)
            var reference = [Float](repeating: 0, count: headMajor.count)
            for start in stride(from: 0, to: headMajor.count, by: depth) {
                let row = headMajor[start..<(start + depth)].map(Double.init)
                let inverse = 1 / (row.map { $0 * $0 }.reduce(0, +) / Double(depth) + 1e-6).squareRoot()
                let token = (start / depth) % tokens
                for pair in 0..<(depth / 2) {
                    let x0 = row[2 * pair] * inverse * Double(scale[2 * pair]), x1 = row[2 * pair + 1] * inverse * Double(scale[2 * pair + 1])
                    let (c, s) = (Double(table[(token * depth / 2 + pair) * 2]), Double(table[(token * depth / 2 + pair) * 2 + 1]))
                    reference[start + 2 * pair] = Float(c * x0 - s * x1)
                    reference[start + 2 * pair + 1] = Float(s * x0 + c * x1)
                }
            }
            for output in [DType.f32, .f16, .bf16] where input != .f32 || output != .f32 {
                let label = "\(input) → \(output)"
                let recorder = try context.makeRecorder()
                let view = try context.upload(x, shape: [batch, tokens, heads, depth], dtype: input).transposed(1, 2)
                let joined = try context.upload([Float](repeating: sentinel, count: batch * heads * joint * depth),
                                                shape: [batch, heads, joint, depth], dtype: output)
                try recorder.rmsNormRope(view, weight: context.upload(scale, shape: [depth]),
                                         table: context.upload(table, shape: [tokens, depth / 2, 2]), into: joined.sliced(axis: 2, range))
                try recorder.submit()
                XCTAssertEqual(joined.dtype, output, label)
                let values = try context.download(joined)
                var inside: [Float] = [], outside: [Float] = []
                for (index, value) in values.enumerated() {
                    if range.contains((index / depth) % joint) { inside.append(value) } else { outside.append(value) }
                }
                XCTAssertEqual(outside, [Float](repeating: sentinel, count: outside.count), "\(label): tokens outside the slice")
                let expected = output.roundTrip(reference)
                let threshold = sixteenBitStorageThreshold(output)
                assertClose(inside, expected, threshold: threshold, label)
                if output != .f32 { XCTAssertGreaterThan(nmse(expected, truncatingRoundTrip(reference, output)), threshold, "\(label): truncation must fail") }
            }
        }
        let recorder = try context.makeRecorder()
        let x = try context.makeTensor(shape: [1, 1, 2, 4], dtype: .f8E4M3)
        XCTAssertThrowsError(try recorder.rmsNormRope(x, weight: context.makeTensor(shape: [4]), table: context.makeTensor(shape: [2, 2, 2]),
                                                      into: context.makeTensor(shape: [1, 1, 2, 4]))) { error in
            guard case VulkanError.invalidArgument(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("rmsNormRope: input must be f32, f16 or bf16"), message)
        }
    }
}
