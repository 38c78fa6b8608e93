import Foundation
import LoomVulkan
import XCTest

/// The matmul epilogue (activation from a column on, residual, gate) in each non-cooperative
/// kernel against a Double reference, including strided residuals and gates as Flux passes them
/// (modulation chunks are slices of one vector) and a batch whose rows do not merge.
final class MatmulEpilogueTests: XCTestCase {
    static let contexts: [(String, Result<VulkanContext, any Error>)] = [
        ("default", .success(sharedContext)),
        ("tiled", Result { try VulkanContext(matmulKernel: .tiled) }),
        ("plain", Result { try VulkanContext(matmulKernel: .plain) }),
        // The cooperative kernel where the device has it (mesa-next), else the default one again.
        ("cooperative", Result { try VulkanContext(matmulKernel: .cooperative) }),
        // The VK_NV_cooperative_matrix2 kernel where the device has it, else the one above again.
        ("cooperative2", Result { try VulkanContext(matmulKernel: .cooperative2) }),
    ]

    struct Case {
        let label: String
        let activation: MatmulEpilogue.Activation?
        let startColumn: Int
        let residual: Bool
        let gate: Gate
        /// The activations are rows 1..<6 of [2, 7, K], which do not merge into one row dimension.
        let unmergedRows: Bool

        enum Gate { case none, perSample, shared }
    }

    static func cases(columns n: Int) -> [Case] { [
        Case(label: "GELU (tanh)", activation: .geluTanh, startColumn: 0, residual: false, gate: .none, unmergedRows: false),
        Case(label: "SiLU from column 7", activation: .silu, startColumn: 7, residual: false, gate: .none, unmergedRows: false),
        Case(label: "GELU (erf) from the last column", activation: .gelu, startColumn: n - 1, residual: false, gate: .none, unmergedRows: true),
        Case(label: "quick GELU", activation: .quickGELU, startColumn: 0, residual: false, gate: .none, unmergedRows: false),
        Case(label: "residual", activation: nil, startColumn: 0, residual: true, gate: .none, unmergedRows: false),
        Case(label: "gated residual", activation: nil, startColumn: 0, residual: true, gate: .perSample, unmergedRows: false),
        Case(label: "activation, shared gate", activation: .geluTanh, startColumn: 3, residual: true, gate: .shared, unmergedRows: false),
        Case(label: "gated residual, unmerged rows", activation: nil, startColumn: 0, residual: true, gate: .perSample, unmergedRows: true),
    ] }

    static func activated(_ v: Double, _ activation: MatmulEpilogue.Activation) -> Double {
        switch activation {
        case .geluTanh: 0.5 * v * (1 + tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)))
        case .silu: v / (1 + exp(-v))
        case .gelu: 0.5 * v * (1 + erf(v / 2.0.squareRoot()))
        case .quickGELU: v / (1 + exp(-1.702 * v))
        }
    }

    func testEpiloguesInEveryKernel() throws {
        // A long K makes the cooperative kernel split it, the epilogue then running in matmul_split_sum.
        // 19 columns in rows of 30 read the residual and gate one value at a time; 20 in rows of 32, whose offsets
        // and strides are multiples of 4, take the texel kernel that reads them 4 at a time on CPU devices.
        for k in [24, 520] {
            for (n, width) in [(19, 30), (20, 32)] { try checkEpilogues(inner: k, columns: n, residualWidth: width) }
        }
    }

    func checkEpilogues(inner k: Int, columns n: Int, residualWidth width: Int) throws {
        let (batch, tokens) = (2, 5)
        let xStorage = randomValues(batch * 7 * k, seed: 81)
        let weight = randomValues(n * k, seed: 82, in: -0.5...0.5)
        let bias = randomValues(n, seed: 83)
        // The residual is columns 4..<4+N of [B, L, width]; the per-sample gate is the middle chunk
        // of a [B, 1, 3N] modulation vector.
        let residualStorage = randomValues(batch * tokens * width, seed: 84)
        let gateStorage = randomValues(batch * 3 * n, seed: 85)
        let sharedGate = randomValues(n, seed: 86)
        for (name, result) in Self.contexts {
            let context = try result.get()
            for c in Self.cases(columns: n) {
                let label = "\(name), K \(k), N \(n): \(c.label)"
                let recorder = try context.makeRecorder()
                let rows = try context.upload(xStorage, shape: [batch, 7, k])
                let x = c.unmergedRows ? try rows.sliced(axis: 1, 1..<6) : try context.upload(Array(xStorage.prefix(batch * tokens * k)), shape: [batch, tokens, k])
                let dense = c.unmergedRows ? gather(xStorage, shape: [batch, tokens, k], strides: [7 * k, k, 1], offset: k)
                    : Array(xStorage.prefix(batch * tokens * k))
                let residual = try context.upload(residualStorage, shape: [batch, tokens, width]).sliced(axis: 2, 4..<(4 + n))
                let gate: Tensor? = switch c.gate {
                case .none: nil
                case .perSample: try context.upload(gateStorage, shape: [batch, 1, 3 * n]).sliced(axis: 2, n..<(2 * n))
                case .shared: try context.upload(sharedGate, shape: [n])
                }
                let epilogue = MatmulEpilogue(activation: c.activation, activationStartColumn: c.startColumn,
                                              residual: c.residual ? residual : nil, gate: gate)
                let output = try recorder.linear(x, weight: context.upload(weight, shape: [n, k]), bias: context.upload(bias, shape: [n]),
                                                 epilogue: epilogue)
                try recorder.submit()
                XCTAssertEqual(output.shape, [batch, tokens, n], label)
                let values = try context.download(output)

                var expected = [Float](repeating: 0, count: batch * tokens * n)
                for b in 0..<batch {
                    for t in 0..<tokens {
                        for column in 0..<n {
                            var v = Double(bias[column])
                            for i in 0..<k { v += Double(dense[(b * tokens + t) * k + i]) * Double(weight[column * k + i]) }
                            if let activation = c.activation, column >= c.startColumn { v = Self.activated(v, activation) }
                            if c.residual {
                                let g = switch c.gate {
                                case .none: 1.0
                                case .perSample: Double(gateStorage[b * 3 * n + n + column])
                                case .shared: Double(sharedGate[column])
                                }
                                v = Double(residualStorage[(b * tokens + t) * width + 4 + column]) + g * v
                            }
                            expected[(b * tokens + t) * n + column] = Float(v)
                        }
                    }
                }
                // GELU (erf) goes through a 1.5e-7 erf approximation; cooperative matrices multiply f16 copies.
                let cooperative = context.usesCooperativeMatrices && context.device.supportsCooperativeMatrixMatmul
                assertClose(values, expected, threshold: cooperative ? 1e-5 : 1e-11, label)
            }
        }
    }

    func testMalformedEpiloguesAreRefused() throws {
        let context = sharedContext
        let x = try context.upload(randomValues(3 * 8, seed: 1), shape: [1, 3, 8])
        let weight = try context.upload(randomValues(5 * 8, seed: 2), shape: [5, 8])
        let recorder = try context.makeRecorder()
        let refused: [(String, MatmulEpilogue)] = [
            ("a gate needs a residual", MatmulEpilogue(gate: try context.upload([Float](repeating: 1, count: 5), shape: [5]))),
            ("residual of another shape", .adding(to: try context.makeTensor(shape: [1, 3, 4]))),
            ("f16 residual", .adding(to: try context.makeTensor(shape: [1, 3, 5], dtype: .f16))),
            ("gate of another width", .adding(to: try context.makeTensor(shape: [1, 3, 5]), gate: try context.makeTensor(shape: [1, 1, 4]))),
            ("start column past the end", .activated(.silu, fromColumn: 6)),
            ("negative start column", .activated(.silu, fromColumn: -1)),
        ]
        for (label, epilogue) in refused {
            XCTAssertThrowsError(try recorder.linear(x, weight: weight, epilogue: epilogue), label) { error in
                guard case VulkanError.invalidArgument(let message) = error else { return XCTFail("\(label): \(error)") }
                XCTAssertTrue(message.hasPrefix("linear:"), "\(label): \(message)")
            }
        }
    }
}
