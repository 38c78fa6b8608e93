/// Why sampling could not start or go on.
public enum SamplingError: Error, Equatable, CustomStringConvertible {
    /// A sampler ComfyUI has that Loom does not implement.
    case unimplementedSampler(String)
    /// A name that is no ComfyUI sampler.
    case unknownSampler(String)
    case unknownScheduler(String)
    case invalidBatchIndex([Int], batchSize: Int)
    /// A batch size that does not divide the latent into equal items.
    case invalidBatchSize(Int, latentCount: Int)
    /// An array (latent, noise, mask or model output) whose length is not the state's.
    case lengthMismatch(what: String, expected: Int, actual: Int)
    case invalidSteps(Int)
    /// A denoise so small that the schedule it cuts from would exceed `Scheduler.maximumScheduleLength` steps.
    case scheduleTooLong(steps: Int, denoise: Double)

    public var description: String {
        switch self {
        case .unimplementedSampler(let name):
            "sampler '\(name)' is a ComfyUI sampler that Loom does not implement; implemented: "
                + SamplerName.allCases.map(\.rawValue).joined(separator: ", ")
        case .unknownSampler(let name):
            "'\(name)' is not a ComfyUI sampler name"
        case .unknownScheduler(let name):
            "'\(name)' is not a scheduler; schedulers: " + Scheduler.allCases.map(\.rawValue).joined(separator: ", ")
        case .invalidBatchIndex(let indices, let batchSize):
            "batch_index \(indices) does not give one non-negative index for each of \(batchSize) latents"
        case .invalidBatchSize(let batchSize, let latentCount):
            "a latent of \(latentCount) values cannot hold \(batchSize) equal batch items"
        case .lengthMismatch(let what, let expected, let actual):
            "\(what) has \(actual) values where the latent has \(expected)"
        case .invalidSteps(let steps):
            "steps must be at least 1, not \(steps)"
        case .scheduleTooLong(let steps, let denoise):
            "denoise \(denoise) with \(steps) steps cuts from a schedule of more than \(Scheduler.maximumScheduleLength) steps"
        }
    }
}
