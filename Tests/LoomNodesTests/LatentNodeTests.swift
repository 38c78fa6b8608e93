import Foundation
import LoomGraph
import LoomImaging
import LoomModels
import LoomNodes
import Testing

@Suite struct LatentNodeTests {
    static func run<N: Node>(_ type: N.Type, _ values: [String: NodeValue]) async throws -> Latent {
        let result = try await N().execute(
            NodeInputs(values, nodeID: "1", classType: N.schema.name),
            context: NodeContext(nodeID: "1", promptID: "p", resources: Resources()))
        return try #require(result.outputs[0] as? Latent)
    }

    static func ramp(_ shape: [Int]) -> HostTensor {
        HostTensor(shape: shape, values: (0..<shape.reduce(1, *)).map { Float($0 % 13) * 0.25 - 1.5 })
    }

    @Test func emptyLatentsHaveTheChannelsComfyUIGives() async throws {
        let sd3 = try await Self.run(EmptySD3LatentImage.self, ["width": 1024, "height": 776, "batch_size": 2])
        #expect(sd3.samples.shape == [2, 16, 97, 128])
        #expect(sd3.samples.values.allSatisfy { $0 == 0 })
        let classic = try await Self.run(EmptyLatentImage.self, ["width": 512, "height": 520, "batch_size": 1])
        #expect(classic.samples.shape == [1, 4, 65, 64])
    }

    @Test func noiseMaskKeepsTheMaskResolution() async throws {
        let mask = Mask(batchCount: 2, height: 9, width: 7, values: (0..<126).map { Float($0) / 125 })
        let latent = try await Self.run(SetLatentNoiseMask.self, ["samples": Latent(samples: Self.ramp([2, 16, 3, 3])), "mask": mask])
        #expect(latent.noiseMask == HostTensor(shape: [2, 1, 9, 7], values: mask.values))
        #expect(latent.samples == Self.ramp([2, 16, 3, 3]))
    }

    @Test func latentUpscaleSizesFollowComfyUI() async throws {
        let latent = Latent(samples: Self.ramp([1, 16, 6, 10]))
        // Both given: pixels / 8.
        var scaled = try await Self.run(LatentUpscale.self, ["samples": latent, "upscale_method": "nearest-exact", "width": 160, "height": 96, "crop": "disabled"])
        #expect(scaled.samples.shape == [1, 16, 12, 20])
        // Nearest-exact doubling repeats every cell.
        #expect(scaled.samples.values[0] == latent.samples.values[0] && scaled.samples.values[1] == latent.samples.values[0])
        // Width 0 follows the aspect ratio: round(10·200/6) = 333 pixels → 41 cells.
        scaled = try await Self.run(LatentUpscale.self, ["samples": latent, "upscale_method": "bilinear", "width": 0, "height": 200, "crop": "disabled"])
        #expect(scaled.samples.shape == [1, 16, 25, 41])
        // Sizes below 64 pixels are raised to 64.
        scaled = try await Self.run(LatentUpscale.self, ["samples": latent, "upscale_method": "area", "width": 16, "height": 8, "crop": "center"])
        #expect(scaled.samples.shape == [1, 16, 8, 8])
        // 0 × 0 passes the latent through.
        scaled = try await Self.run(LatentUpscale.self, ["samples": latent, "upscale_method": "bicubic", "width": 0, "height": 0, "crop": "disabled"])
        #expect(scaled.samples == latent.samples)
    }

    @Test func latentUpscaleByRoundsLikePython() async throws {
        let latent = Latent(samples: Self.ramp([2, 16, 5, 7]), noiseMask: HostTensor(zeros: [1, 1, 40, 56]))
        let scaled = try await Self.run(LatentUpscaleBy.self, ["samples": latent, "upscale_method": "bilinear", "scale_by": 1.5])
        // round(7.5) = 8 (half to even), round(10.5) = 10.
        #expect(scaled.samples.shape == [2, 16, 8, 10])
        #expect(scaled.noiseMask == latent.noiseMask)
    }

    @Test func bislerpKeepsDirectionsAndInterpolatesLengths() async throws {
        // Every cell points the same way with a length that grows along x: slerp between parallel
        // vectors returns the first one (ComfyUI's dot > 1 − 1e-5 case), so the result repeats cells.
        let direction = (0..<16).map { Float($0 % 4) - 1.2 }
        let lengths: [Float] = [1, 2, 3, 4]
        var values = [Float](repeating: 0, count: 16 * 2 * 4)
        for channel in 0..<16 {
            for y in 0..<2 {
                for x in 0..<4 { values[(channel * 2 + y) * 4 + x] = direction[channel] * lengths[x] }
            }
        }
        let latent = Latent(samples: HostTensor(shape: [1, 16, 2, 4], values: values))
        let same = try await Self.run(LatentUpscale.self, ["samples": latent, "upscale_method": "bislerp", "width": 64, "height": 64, "crop": "disabled"])
        #expect(same.samples.shape == [1, 16, 8, 8])
        let identity = try await Self.run(LatentUpscaleBy.self, ["samples": latent, "upscale_method": "bislerp", "scale_by": 1.0])
        #expect(identity.samples == latent.samples)

        // Orthogonal unit vectors a and b halfway: the slerp is (a + b)/√2, length 1.
        var orthogonal = [Float](repeating: 0, count: 16 * 1 * 2)
        orthogonal[0 * 2 + 0] = 1
        orthogonal[1 * 2 + 1] = 1
        let pair = Latent(samples: HostTensor(shape: [1, 16, 1, 2], values: orthogonal))
        let widened = try await Self.run(LatentUpscaleBy.self, ["samples": pair, "upscale_method": "bislerp", "scale_by": 2.0])
        // Output column 1 sits at source x 0.25: slerp by 0.25 between a and b.
        let angle = Float.pi / 2 * 0.25
        #expect(abs(widened.samples.values[1] - cos(angle)) < 1e-5)
        #expect(abs(widened.samples.values[1 * 8 + 1] - sin(angle)) < 1e-5)
    }
}
