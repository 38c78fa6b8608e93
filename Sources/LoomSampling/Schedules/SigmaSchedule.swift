/// The sigmas of a sampling node: the scheduler's output cut for partial denoising.
extension Scheduler {
    /// BasicScheduler: for denoise < 1 the schedule of `Int(steps/denoise)` steps, keeping its last
    /// `steps + 1` sigmas; denoise ≤ 0 gives no sigmas.
    public func sigmas(steps: Int, denoise: Double, modelSampling: some ModelSampling) throws(SamplingError) -> [Float] {
        try scheduled(steps: steps, denoise: denoise, isFull: denoise >= 1, sampler: nil, modelSampling: modelSampling)
    }

    /// KSampler / KSamplerAdvanced: as BasicScheduler (denoise above 0.9999 counts as 1), with the
    /// penultimate sigma dropped for samplers that need it.
    public func sigmas(
        steps: Int, denoise: Double, sampler: SamplerName, modelSampling: some ModelSampling
    ) throws(SamplingError) -> [Float] {
        try scheduled(
            steps: steps, denoise: denoise, isFull: denoise > 0.9999, sampler: sampler, modelSampling: modelSampling)
    }

    private func scheduled(
        steps: Int, denoise: Double, isFull: Bool, sampler: SamplerName?,
        modelSampling: some ModelSampling
    ) throws(SamplingError) -> [Float] {
        func schedule(_ count: Int) -> [Float] {
            guard sampler?.discardsPenultimateSigma == true else {
                return sigmas(steps: count, modelSampling: modelSampling)
            }
            let sigmas = sigmas(steps: count + 1, modelSampling: modelSampling)
            return Array(sigmas.dropLast(2)) + [sigmas[sigmas.count - 1]]
        }
        if isFull { return schedule(steps) }
        if denoise <= 0 { return [] }
        return Array(schedule(try Self.scheduleLength(steps: steps, denoise: denoise)).suffix(steps + 1))
    }

    /// The most steps a schedule for partial denoising may have: 10,000 steps (ComfyUI's maximum) at denoise 0.01.
    public static let maximumScheduleLength = 1_000_000

    /// `Int(steps / denoise)`, the length of the schedule whose tail a partial denoise samples; an error where a
    /// tiny denoise would make it unbounded.
    static func scheduleLength(steps: Int, denoise: Double) throws(SamplingError) -> Int {
        let length = (Double(steps) / denoise).rounded(.towardZero)
        guard length <= Double(maximumScheduleLength) else { throw .scheduleTooLong(steps: steps, denoise: denoise) }
        return Int(length)
    }
}
