@testable import LoomNodes
import Testing

/// RescaleCFG's blend, checked through what it is defined to do in v-prediction space.
@Suite struct CFGRescaleTests {
    let x: [Float] = [0.9, -1.4, 2.2, 0.3, -0.7, 1.1, 0.05, -2.0]
    let conditional: [Float] = [0.5, -0.9, 1.6, 0.2, -0.3, 0.8, 0.1, -1.2]
    let unconditional: [Float] = [0.4, -0.6, 1.1, 0.1, -0.1, 0.5, 0.2, -0.8]
    let sigma: Float = 3.5

    /// The v-space value of a denoised prediction, as ComfyUI's rescale function computes it.
    func velocity(_ denoised: [Float]) -> [Float] {
        let variance = sigma * sigma + 1
        return zip(x, denoised).map { ($0 / variance - $1) * variance.squareRoot() / sigma }
    }

    @Test func multiplierZeroIsPlainGuidance() {
        let result = CFGRescale(multiplier: 0, batch: 1)
            .denoised(x: x, conditional: conditional, unconditional: unconditional, scale: 7, sigma: sigma)
        let plain = zip(conditional, unconditional).map { $1 + 7 * ($0 - $1) }
        #expect(zip(result, plain).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    @Test func multiplierOneMatchesTheConditionalSpread() {
        let result = CFGRescale(multiplier: 1, batch: 2)
            .denoised(x: x, conditional: conditional, unconditional: unconditional, scale: 7, sigma: sigma)
        let (resultV, condV) = (velocity(result), velocity(conditional))
        for item in 0..<2 {
            let range = item * 4..<(item + 1) * 4
            let spread = CFGRescale.standardDeviation(resultV[range]), target = CFGRescale.standardDeviation(condV[range])
            #expect(abs(spread - target) <= 1e-4 * target, "item \(item): \(spread) vs \(target)")
        }
    }
}
