/// What a matmul applies to its products before storing them (matmul_epilogue.glsl), in place
/// of separate element-wise dispatches: an activation, then a residual connection, optionally
/// gated (a DiT block's `x + gate · proj(h)`).
public struct MatmulEpilogue: Sendable {
    public enum Activation: UInt32, Sendable {
        case geluTanh = 1, silu = 2, gelu = 3, quickGELU = 4
    }

    public var activation: Activation?
    /// Columns before this one are stored without the activation (a fused projection whose
    /// later columns feed an MLP, as Flux's single-stream `linear1`).
    public var activationStartColumn = 0
    /// Added to the result: shaped like the output, last dimension contiguous.
    public var residual: Tensor?
    /// Multiplies the result before the residual is added: [B, 1, N] for an output [B, L, N],
    /// or [N]. Only with a residual.
    public var gate: Tensor?

    public init(activation: Activation? = nil, activationStartColumn: Int = 0, residual: Tensor? = nil, gate: Tensor? = nil) {
        self.activation = activation
        self.activationStartColumn = activationStartColumn
        self.residual = residual
        self.gate = gate
    }

    public static let none = MatmulEpilogue()

    /// `activation(x·Wᵀ + b)`, from column `startColumn` on.
    public static func activated(_ activation: Activation, fromColumn startColumn: Int = 0) -> MatmulEpilogue {
        MatmulEpilogue(activation: activation, activationStartColumn: startColumn)
    }

    /// `residual + gate · (x·Wᵀ + b)`, or `residual + x·Wᵀ + b` without a gate.
    public static func adding(to residual: Tensor, gate: Tensor? = nil) -> MatmulEpilogue {
        MatmulEpilogue(residual: residual, gate: gate)
    }
}

/// A `MatmulEpilogue` checked against the product it finishes, as the shader addresses it.
struct FusedEpilogue {
    let activationCode: UInt32
    let residualCode: UInt32
    let residual: Tensor?
    let gate: Tensor?
    private let activationStart: Int
    private let residualStrides: (row: Int, batch: Int)
    private let gateRows: Int
    private let gateStride: Int

    static let none = FusedEpilogue(activationCode: 0, residualCode: 0, residual: nil, gate: nil, activationStart: 0,
                                    residualStrides: (0, 0), gateRows: 1, gateStride: 0)

    private init(activationCode: UInt32, residualCode: UInt32, residual: Tensor?, gate: Tensor?, activationStart: Int,
                 residualStrides: (row: Int, batch: Int), gateRows: Int, gateStride: Int) {
        self.activationCode = activationCode
        self.residualCode = residualCode
        self.residual = residual
        self.gate = gate
        self.activationStart = activationStart
        self.residualStrides = residualStrides
        self.gateRows = gateRows
        self.gateStride = gateStride
    }

    /// `outputShape` is the linear's result ([..., N]); `productBatches` is 1 when its leading
    /// dimensions were merged into rows, else its first dimension.
    init(_ epilogue: MatmulEpilogue, outputShape: [Int], productBatches: Int) throws(VulkanError) {
        let columns = outputShape.last ?? 0
        guard (0...max(columns, 0)).contains(epilogue.activationStartColumn) else {
            throw .invalidArgument("linear: activation start column \(epilogue.activationStartColumn) is outside 0...\(columns)")
        }
        var residualStrides = (row: 0, batch: 0)
        if let residual = epilogue.residual {
            guard residual.dtype == .f32, residual.shape == outputShape else {
                throw .invalidArgument("linear: the residual must be f32 shaped like the output \(outputShape), not \(residual.dtype) \(residual.shape)")
            }
            let rank = residual.rank
            let rowDimensions = productBatches == 1 ? 0..<(rank - 2) : 1..<(rank - 2)
            let merges = rowDimensions.allSatisfy { residual.shape[$0] == 1 || residual.strides[$0] == residual.strides[$0 + 1] * residual.shape[$0 + 1] }
            guard rank >= 2, columns <= 1 || residual.strides[rank - 1] == 1, merges else {
                throw .invalidArgument("linear: the residual's rows must be evenly strided with a contiguous last dimension, strides \(residual.strides)")
            }
            residualStrides = (row: residual.strides[rank - 2], batch: productBatches == 1 ? 0 : residual.strides[0])
        }
        var (gateRows, gateStride) = (1, 0)
        if let gate = epilogue.gate {
            guard epilogue.residual != nil else { throw .invalidArgument("linear: a gate needs a residual to add to") }
            let perSample = outputShape.count == 3 && gate.shape == [outputShape[0], 1, columns]
            guard gate.dtype == .f32, gate.shape == [columns] || perSample, columns <= 1 || gate.strides[gate.rank - 1] == 1 else {
                throw .invalidArgument("linear: the gate must be f32 [\(columns)] or [B, 1, \(columns)] with a contiguous last dimension, not \(gate.dtype) \(gate.shape)")
            }
            if perSample { (gateRows, gateStride) = (max(outputShape[1], 1), gate.shape[0] == 1 ? 0 : gate.strides[0]) }
        }
        self.init(activationCode: epilogue.activation?.rawValue ?? 0,
                  residualCode: epilogue.residual == nil ? 0 : epilogue.gate == nil ? 1 : 2,
                  residual: epilogue.residual, gate: epilogue.gate, activationStart: epilogue.activationStartColumn,
                  residualStrides: residualStrides, gateRows: gateRows, gateStride: gateStride)
    }

    /// True when the residual and gate can be read 4 columns at a time (`finishedQuad`): their offsets and strides
    /// are multiples of 4.
    var isQuadAligned: Bool {
        [residual?.offset ?? 0, residualStrides.row, residualStrides.batch, gate?.offset ?? 0, gateStride].allSatisfy { $0 % 4 == 0 }
    }

    /// The push constants after the matmul's own, in matmul.comp's order.
    var pushConstants: [Int] {
        [activationStart, residual?.offset ?? 0, residualStrides.row, residualStrides.batch, gate?.offset ?? 0, gateRows, gateStride]
    }
}
