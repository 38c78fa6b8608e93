import Foundation
import Testing
@testable import LoomSampling

/// Each model sampling's input scaling, denoising and noise mixing against ComfyUI's EPS, V_PREDICTION
/// and CONST classes (schedules.json, `predictions`).
@Suite struct PredictionTypeTests {
    let fixtures = try! SamplingFixtures.load("schedules.json")

    @Test func networkInputsDenoisingAndNoiseScalingMatchComfyUI() {
        let x = (0..<8).map { Float(0.5 * cos(0.11 * Double($0))) }
        let output = (0..<8).map { Float(sin(0.7 * Double($0))) }
        let noise = (0..<8).map { Float(cos(1.3 * Double($0))) }
        for record in fixtures.records("model_samplings") {
            let name = record.string("name")
            let sampling = SamplingFixtures.modelSampling(named: name)
            for case_ in record.records("predictions") {
                let sigma = Float(bitPattern: UInt32(case_.int("sigma")))
                let label = "\(name) σ \(sigma)"
                Self.expectClose(sampling.networkInput(x, sigma: sigma), case_.floats("input"), label + " input")
                Self.expectClose(sampling.denoised(x: x, output: output, sigma: sigma), case_.floats("denoised"), label + " denoised")
                Self.expectClose(sampling.noiseScaling(sigma: sigma, noise: noise, latent: x), case_.floats("noise_scaling"), label + " noise")
                Self.expectClose(sampling.noiseScaling(sigma: sigma, noise: noise, latent: x, maxDenoise: true),
                                 case_.floats("noise_scaling_max"), label + " max denoise")
                Self.expectClose(sampling.inverseNoiseScaling(sigma: sigma, latent: x), case_.floats("inverse_noise_scaling"), label + " inverse")
                #expect(abs(Double(sampling.timestep(sigma: sigma)) - case_.double("timestep")) <= 1e-4 * max(1, case_.double("timestep")), "\(label) timestep")
            }
        }
    }

    @Test func discreteSchedulesStartFromPureNoiseAtTheirLargestSigma() {
        let sampling = DiscreteModelSampling()
        #expect(sampling.startsFromPureNoise(sampling.sigmaMax))
        #expect(!sampling.startsFromPureNoise(sampling.sigmaMax * 0.99))
        #expect(sampling.prediction.halfLogSNR(2.0 as Double) == -log(2.0))
        #expect(PredictionType.flow.sigma(halfLogSNR: PredictionType.flow.halfLogSNR(0.25 as Double)) - 0.25 < 1e-12)
    }

    static func expectClose(_ values: [Float], _ expected: [Float], _ label: String) {
        let worst = zip(values, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
        #expect(values.count == expected.count && worst <= 2e-7, "\(label): \(values) vs \(expected)")
    }
}
