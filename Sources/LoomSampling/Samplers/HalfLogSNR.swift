import Foundation

/// Half-log-SNR λ = log(α/σ) of a flow model, where α = 1 − σ: the time variable of the
/// DPM-Solver++ SDE samplers (ComfyUI `sigma_to_half_log_snr` for CONST models).
func halfLogSNR(_ sigma: Double) -> Double {
    log((1 - sigma) / sigma)
}

/// ComfyUI's `offset_first_sigma_for_snr`: λ is infinite at σ = 1, so a flow schedule starting at
/// 1 starts at the sigma of 0.01 % instead, for the model call too.
func offsettingFirstSigmaForSNR(_ sigmas: [Float], modelSampling: any ModelSampling) -> [Float] {
    guard sigmas.count > 1, sigmas[0] >= 1 else { return sigmas }
    var sigmas = sigmas
    sigmas[0] = Float(modelSampling.percentToSigma(1e-4))
    return sigmas
}
