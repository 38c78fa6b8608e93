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
        // Each sample of the batch sees only its own rows, as a real network's do.
        let batch = input.x.shape[0], sampleSize = input.x.count / batch
        func sampleMean(_ t: HostTensor, _ sample: Int) -> Float {
            let rows = t.count / t.shape[0], row = t.shape[0] == 1 ? 0 : sample
            return t.values[(row * rows)..<((row + 1) * rows)].reduce(0, +) / Float(rows)
        }
        return HostTensor(shape: input.x.shape, values: input.x.values.enumerated().map { index, value in
            let sample = index / sampleSize
            let offset = sampleMean(input.context, sample) + (input.guidance ?? 0) * guidanceWeight
                + (input.concat.map { sampleMean($0, sample) } ?? 0)
            return value * slope + offset
        })
    }
}
