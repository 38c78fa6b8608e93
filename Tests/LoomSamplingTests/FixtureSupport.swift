import Foundation
@testable import LoomSampling

/// The golden files written by scripts/fixtures/make_sampling_fixtures.py.
enum SamplingFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/sampling")

    static func load(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static func modelSampling(named name: String) -> any ModelSampling {
        switch name {
        case "flux": FluxModelSampling()
        case "flux_1024x1024": FluxModelSampling(width: 1024, height: 1024)
        case "flux_512x512": FluxModelSampling(width: 512, height: 512)
        case "flux_schnell": DiscreteFlowModelSampling.schnell
        case "sd_eps": DiscreteModelSampling(prediction: .epsilon)
        case "sd_v": DiscreteModelSampling(prediction: .velocity)
        case "sd_eps_zsnr": DiscreteModelSampling(prediction: .epsilon, zeroTerminalSNR: true)
        default: fatalError("no model sampling \(name)")
        }
    }
}

extension Dictionary where Key == String, Value == Any {
    func ints(_ key: String) -> [Int] { (self[key] as! [Any]).map { ($0 as! NSNumber).intValue } }
    func doubles(_ key: String) -> [Double] { (self[key] as! [Any]).map { ($0 as! NSNumber).doubleValue } }
    func int(_ key: String) -> Int { (self[key] as! NSNumber).intValue }
    func double(_ key: String) -> Double { (self[key] as! NSNumber).doubleValue }
    func string(_ key: String) -> String { self[key] as! String }
    func records(_ key: String) -> [[String: Any]] { self[key] as! [[String: Any]] }
    /// float32 values stored as their bit patterns.
    func floats(_ key: String) -> [Float] { ints(key).map { Float(bitPattern: UInt32($0)) } }
}

/// FNV-1a over float32 bit patterns, one xor-multiply per value, as the fixture script computes it.
func fnv1a(_ values: [Float]) -> UInt64 {
    values.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1.bitPattern)) &* 0x100_0000_01b3 }
}

/// The script's analytic model, per batch item of n values:
/// 0.7·x[i] + 0.2·x[i−1 mod n] + (0.1 + 0.5·σ)·sin(0.37·i), in float32.
func analyticDenoiser(batchSize: Int) -> Denoiser {
    { x, sigma in
        let n = x.count / batchSize
        let weight = Float(0.1) + Float(0.5) * Float(sigma)
        var out = [Float](repeating: 0, count: x.count)
        for b in 0..<batchSize {
            for i in 0..<n {
                let target = Float(sin(0.37 * Double(i)))
                let previous = x[b * n + (i + n - 1) % n]
                out[b * n + i] = (Float(0.7) * x[b * n + i] + Float(0.2) * previous) + weight * target
            }
        }
        return out
    }
}

extension KSampling {
    /// A KSampler run as the sampling nodes compose it: this schedule and noise, then a `SamplerRun`.
    func sample(
        latent: [Float], batchSize: Int = 1, batchIndex: [Int]? = nil, mask: DenoiseMask? = nil,
        model: @escaping Denoiser, onStep: (@Sendable (SamplingStep) async throws -> Void)? = nil
    ) async throws -> [Float] {
        guard steps >= 1 else { throw SamplingError.invalidSteps(steps) }
        let noise = try initialNoise(count: latent.count, batchSize: batchSize, batchIndex: batchIndex)
        guard let sigmas = try sigmas(), !sigmas.isEmpty else { return latent }
        return try await SamplerRun(modelSampling: modelSampling, sampler: sampler, seed: seed)
            .sample(latent: latent, noise: noise, sigmas: sigmas, mask: mask, model: model, onStep: onStep).samples
    }
}
