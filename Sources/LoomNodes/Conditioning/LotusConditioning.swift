import Foundation
import LoomGraph
import LoomModels

/// ComfyUI's LotusConditioning: Lotus's fixed prompt (its frozen text encoder on the empty prompt), so that a Lotus
/// depth workflow needs no text encoder.
public struct LotusConditioning: CPUNode {
    public static let schema = NodeSchema(
        name: "LotusConditioning", displayName: "LotusConditioning", category: "conditioning/lotus",
        inputs: [],
        outputs: [OutputSpec("CONDITIONING", name: "conditioning")])

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        NodeResult([Conditioning([.init(crossAttention: Self.embedding)])])
    }

    static let embedding: HostTensor = {
        let data = Data(base64Encoded: LotusNullEmbedding.base64, options: .ignoreUnknownCharacters) ?? Data()
        let values = data.withUnsafeBytes { raw in
            (0..<(raw.count / 2)).map { Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)))) }
        }
        return HostTensor(shape: LotusNullEmbedding.shape, values: values)
    }()
}
