import LoomGraph

/// ComfyUI's SetFirstSigma: the schedule with its first sigma replaced (Lotus starts its single step at 999's sigma
/// and beyond, as the depth template's subgraph sets it).
public struct SetFirstSigma: CPUNode {
    public static let schema = NodeSchema(
        name: "SetFirstSigma", displayName: "SetFirstSigma", category: "sampling/custom_sampling/sigmas",
        inputs: [
            .link("sigmas", "SIGMAS"),
            .float("sigma", default: 136.0, min: 0.0, max: 20000.0, step: 0.001),
        ],
        outputs: [OutputSpec("SIGMAS")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        var sigmas = try inputs("sigmas", as: Sigmas.self)
        guard !sigmas.values.isEmpty else { throw NodeError(Self.schema.name, "sigmas: the schedule is empty, so it has no first sigma") }
        sigmas.values[0] = Float(try inputs("sigma", as: Double.self))
        return NodeResult([sigmas])
    }
}
