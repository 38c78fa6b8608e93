import LoomModels
import Synchronization

/// A stand-in diffusion network with a closed-form velocity, recording what it was given:
/// v = x · `slope` + mean(context) + guidance · `guidanceWeight` + mean(concat).
final class RecordingNetwork: DiffusionNetwork {
    let latentChannels = 2
    let concatChannels: Int
    let usesGuidance: Bool
    let slope: Float
    let guidanceWeight: Float
    private let calls = Mutex<[DiffusionInput]>([])

    init(concatChannels: Int = 0, usesGuidance: Bool = false, slope: Float = 0.5, guidanceWeight: Float = 0) {
        self.concatChannels = concatChannels
        self.usesGuidance = usesGuidance
        self.slope = slope
        self.guidanceWeight = guidanceWeight
    }

    var inputs: [DiffusionInput] { calls.withLock { $0 } }

    func prediction(for input: DiffusionInput) async throws -> HostTensor {
        calls.withLock { $0.append(input) }
        let contextMean = input.context.values.reduce(0, +) / Float(input.context.count)
        let concatMean = input.concat.map { $0.values.reduce(0, +) / Float($0.count) } ?? 0
        let offset = contextMean + (input.guidance ?? 0) * guidanceWeight + concatMean
        return HostTensor(shape: input.x.shape, values: input.x.values.map { $0 * slope + offset })
    }
}
