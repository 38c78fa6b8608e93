import Foundation
import ImagingTestSupport
import LoomGraph
import LoomImaging
import LoomModels
@testable import LoomNodes
import Testing

/// Nodes at their largest inputs fail with a message naming the node, the inputs and the limit, before they
/// allocate: never by exhausting the machine.
@Suite struct ResourceLimitTests {
    /// The error `values` give `N`, which must fail; its message must name the node and contain `fragments`.
    func failure<N: Node>(
        _ type: N.Type, _ values: [String: NodeValue], resources: Resources = Resources(), _ fragments: String...
    ) async throws {
        do {
            let result = try await ImageNodeTests.run(type, values, resources: resources)
            Issue.record("\(N.schema.name) made \(result.outputs)")
        } catch let error as NodeError {
            #expect(error.node == N.schema.name)
            for fragment in fragments { #expect(error.message.contains(fragment), "\(error.message)") }
        }
    }

    @Test func emptyImagesAndLatentsAtTheirLargestAreRefused() async throws {
        for node: any Node.Type in [EmptyLatentImage.self, EmptySD3LatentImage.self] {
            try await failure(node, ["width": 16384, "height": 16384, "batch_size": 4096], "width, height, batch_size", "--max-tensor-mb")
        }
        try await failure(
            EmptyImage.self, ["width": 16384, "height": 16384, "batch_size": 4096, "color": 0], "width, height, batch_size",
            "--max-batch-pixels")
        // A size from a link is not range-checked by validation.
        try await failure(EmptyImage.self, ["width": -5, "height": 8, "batch_size": 1, "color": 0], "negative")
    }

    @Test func batchesAndPaddingThatWouldGrowTooLargeAreRefused() async throws {
        let image = Image(batchCount: 1, height: 1024, width: 1024, channels: 3, repeating: 0.5)
        try await failure(RepeatImageBatch.self, ["image": image, "amount": 4096], "amount", "per batch")
        let small = Image(batchCount: 1, height: 8, width: 8, channels: 3, repeating: 0.5)
        try await failure(
            ImagePadForOutpaint.self,
            ["image": small, "left": 16384, "top": 16384, "right": 16384, "bottom": 16384, "feathering": 40],
            "left, top, right, bottom", "per image")
        try await failure(
            LatentUpscaleBy.self,
            ["samples": Latent(samples: HostTensor(zeros: [1, 16, 8, 8])), "upscale_method": "nearest-exact", "scale_by": 1e300],
            "scale_by")
        try await failure(
            ImageStitch.self,
            [
                "image1": Image(batchCount: 1, height: 16384, width: 1, channels: 3, repeating: 0),
                "image2": Image(batchCount: 1, height: 1, width: 16384, channels: 3, repeating: 0),
                "direction": "right", "match_image_size": true, "spacing_width": 0, "spacing_color": "white",
            ],
            "image1, image2")
    }

    @Test func limitsComeFromTheEngine() async throws {
        let resources = Resources()
        resources.set(ResourceLimits(pixelsPerImage: 1000, pixelsPerBatch: 4000, bytesPerTensor: 1 << 20))
        try await failure(SolidMask.self, ["value": 1.0, "width": 100, "height": 100], resources: resources, "limit of 1,000 per image")
        let mask = try await ImageNodeTests.run(SolidMask.self, ["value": 1.0, "width": 10, "height": 10], resources: resources)
        #expect((mask.outputs[0] as? Mask)?.values.count == 100)
    }

    @Test func loadImageRefusesAFileThatClaimsTooManyPixels() async throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        try temporary.write(OversizedImages.png(width: 30000, height: 30000), to: temporary.folders.input + "/huge.png")
        try await failure(
            LoadImage.self, ["image": "huge.png"], resources: ImageNodeTests.resources(temporary), "image:", "30000 x 30000",
            "268435456 pixels per image")
        try temporary.write(try OversizedImages.animatedWebP(width: 16383, height: 16383), to: temporary.folders.input + "/frames.webp")
        try await failure(LoadImage.self, ["image": "frames.webp"], resources: ImageNodeTests.resources(temporary), "frames")
    }

    @Test func growMaskWithTheLargestExpandIsQuick() async throws {
        let mask = Mask(batchCount: 1, height: 512, width: 512, values: (0..<(512 * 512)).map { $0 == 1000 ? 1 : 0 })
        let clock = ContinuousClock()
        let start = clock.now
        let grown = try await ImageNodeTests.run(GrowMask.self, ["mask": mask, "expand": 16384, "tapered_corners": true])
        #expect(clock.now - start < .seconds(20))
        #expect((grown.outputs[0] as? Mask)?.values.allSatisfy { $0 == 1 } == true)
    }
}
