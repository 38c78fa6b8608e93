/// ComfyUI's `offset_first_sigma_for_snr`: a flow model's half-log-SNR is infinite at σ = 1, so a
/// schedule starting there starts at the sigma of 0.01 % instead, for the model call too. Discrete
/// models' λ = −log σ is finite everywhere.
func offsettingFirstSigmaForSNR(_ sigmas: [Float], modelSampling: any ModelSampling) -> [Float] {
    guard modelSampling.prediction == .flow, sigmas.count > 1, sigmas[0] >= 1 else { return sigmas }
    var sigmas = sigmas
    sigmas[0] = Float(modelSampling.percentToSigma(1e-4))
    return sigmas
}
