import Foundation
import LoomVulkan
import XCTest

final class ElementwiseTests: XCTestCase {
    let context = sharedContext

    func testAddBroadcastsAcrossLeadingAndInnerDimensions() throws {
        let a = randomValues(3 * 5 * 7, seed: 1)
        let b = randomValues(5 * 1, seed: 2)
        let result = try evaluate { try $0.add(context.upload(a, shape: [3, 5, 7]), context.upload(b, shape: [5, 1])) }
        let expected = (0..<a.count).map { a[$0] + b[($0 / 7) % 5] }
        assertClose(result, expected, threshold: 1e-7, "add")
    }

    /// Contiguous operands (4 values per invocation through texel reads on CPU devices), one of them a
    /// view starting 4 values into its buffer, and a count that is not a multiple of 4 (the per-value path).
    func testContiguousAddAndMultiply() throws {
        let a = randomValues(4 + 6 * 10, seed: 6)
        let b = randomValues(6 * 10, seed: 7)
        for count in [60, 58] {
            let x = try context.upload(a, shape: [64]).sliced(axis: 0, 4..<(4 + count))
            let y = try context.upload(Array(b.prefix(count)), shape: [count])
            let sum = try evaluate { try $0.add(x, y) }
            let product = try evaluate { try $0.multiply(x, y) }
            XCTAssertEqual(sum, (0..<count).map { a[4 + $0] + b[$0] }, "add of \(count)")
            XCTAssertEqual(product, (0..<count).map { a[4 + $0] * b[$0] }, "multiply of \(count)")
        }
    }

    func testMultiplyOfTransposedViewAndRowVector() throws {
        let a = randomValues(6 * 9, seed: 3)
        let b = randomValues(6, seed: 4)
        let result = try evaluate { recorder in
            let view = try context.upload(a, shape: [6, 9]).transposed(0, 1)  // [9, 6], strides [1, 9]
            return try recorder.multiply(view, context.upload(b, shape: [6]))
        }
        let transposed = gather(a, shape: [9, 6], strides: [1, 9], offset: 0)
        assertClose(result, (0..<54).map { transposed[$0] * b[$0 % 6] }, threshold: 1e-7, "multiply")
    }

    func testScaleSiLUAndGELUOnSlicedView() throws {
        let values = randomValues(4 * 33, seed: 5, in: -6...6)
        let input = try context.upload(values, shape: [4, 33])
        let view = try input.sliced(axis: 1, 3..<30)  // non-contiguous rows of 27
        let host = gather(values, shape: [4, 27], strides: [33, 1], offset: 3)
        let cases: [(String, (CommandRecorder) throws -> Tensor, (Float) -> Float)] = [
            ("scale", { try $0.scaled(view, by: -0.375) }, { $0 * -0.375 }),
            ("silu", { try $0.silu(view) }, { $0 / (1 + Float(exp(Double(-$0)))) }),
            ("gelu", { try $0.gelu(view) }, { Float(0.5 * Double($0) * (1 + erf(Double($0) / 2.0.squareRoot()))) }),
            ("gelu tanh", { try $0.gelu(view, approximation: .tanh) }, { x in
                let x = Double(x)
                return Float(0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x))))
            }),
            ("contiguous", { try $0.contiguous(view) }, { $0 }),
        ]
        for (name, operation, reference) in cases {
            assertClose(try evaluate(operation), host.map(reference), threshold: 1e-7, name)
        }
    }

    func testLargeElementwiseUsesSecondDispatchDimension() throws {
        // More workgroups than maxComputeWorkGroupCount.x would allow in one row on some devices.
        let count = 70_000 * 64 + 17
        let a = randomValues(count, seed: 6)
        let result = try evaluate { try $0.scaled(context.upload(a, shape: [count]), by: 2) }
        assertClose(result, a.map { $0 * 2 }, threshold: 1e-7, "large scale")
    }

    func testMismatchedShapesAreRejected() throws {
        let recorder = try context.makeRecorder()
        let a = try context.makeTensor(shape: [3, 4])
        let b = try context.makeTensor(shape: [5])
        XCTAssertThrowsError(try recorder.add(a, b)) { error in
            guard case VulkanError.invalidArgument(let message) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertTrue(message.contains("do not broadcast"), message)
        }
    }
}
