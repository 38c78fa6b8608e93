/// Which matmul.comp kernel runs and with which specialization constants, chosen per device kind
/// and output shape.
struct MatmulTuning: Sendable, Hashable {
    /// Invocations per workgroup.
    let workgroupSize: Int
    /// Output rows per invocation: how often each loaded weight is reused.
    let rows: Int
    /// Output columns per invocation (texel kernel only): how often each loaded activation is reused.
    let columns: Int

    /// GPUs: the plain storage-buffer kernel.
    static let generic = MatmulTuning(workgroupSize: 64, rows: 4, columns: 1)

    /// CPU devices (texel kernel). On llvmpipe every fetch costs far more than an FMA, even with
    /// the register spills big tiles bring, so tiles grow as large as the output allows: 32 rows
    /// by up to 16 columns per invocation measured fastest at 1024³ (bigger tiles made shader
    /// compilation take tens of seconds). Smaller outputs get smaller tiles rather than computing
    /// clamped duplicates.
    static func texels(rows m: Int, columns n: Int) -> MatmulTuning {
        let workgroupSize = 64
        let rows = [32, 8, 4].first { $0 <= m } ?? 1
        let columns = [16, 8, 4, 2].first { workgroupSize * $0 <= n } ?? 1
        return MatmulTuning(workgroupSize: workgroupSize, rows: rows, columns: columns)
    }
}
