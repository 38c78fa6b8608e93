/// The ancestral step of ComfyUI's rectified-flow samplers (`*_RF`): step down to `sigmaDown`
/// deterministically, then scale the state and add fresh noise so that it sits at `sigmaNext`.
/// With eta = 0 there is no noise and `sigmaDown` is `sigmaNext`.
struct FlowAncestralStep {
    let sigmaDown: Double
    /// The factor alpha(next)/alpha(down) applied before the noise is added.
    let stateScale: Double
    /// The standard deviation of the added noise.
    let noiseScale: Double

    init(from sigma: Double, to sigmaNext: Double, eta: Double) {
        let downstepRatio = 1 + (sigmaNext / sigma - 1) * eta
        sigmaDown = sigmaNext * downstepRatio
        let alphaNext = 1 - sigmaNext
        let alphaDown = 1 - sigmaDown
        stateScale = alphaNext / alphaDown
        noiseScale = (sigmaNext * sigmaNext - sigmaDown * sigmaDown * alphaNext * alphaNext / (alphaDown * alphaDown))
            .squareRoot()
    }
}
