/// Matmul shape parameters (specialization constants of matmul.comp) chosen per device kind.
struct MatmulTuning: Sendable {
    /// Invocations per workgroup, each owning one output column.
    let workgroupSize: Int
    /// Output rows per invocation: how often each loaded weight is reused.
    let rowsPerInvocation: Int

    init(for kind: PhysicalDeviceInfo.Kind) {
        switch kind {
        case .cpu:
            workgroupSize = 64
            rowsPerInvocation = 8
        default:
            workgroupSize = 64
            rowsPerInvocation = 4
        }
    }
}
