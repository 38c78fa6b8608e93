import ImagingTestSupport
import LoomImaging
import Testing

@Suite struct CannyTests {
    @Test func edgesMatchComfyUIsKorniaCanny() throws {
        let cases = Fixtures.cases(kind: "canny")
        #expect(cases.count == 4)
        for (name, parameters) in cases {
            let input = try Fixtures.image(parameters["input"] as! String)
            let detector = CannyEdgeDetector(
                lowThreshold: Float(parameters["low_threshold"] as! Double),
                highThreshold: Float(parameters["high_threshold"] as! Double))
            let output = detector.edges(of: input).image(channels: 3)
            let expected = try Fixtures.image(name)
            let differing = zip(output.pixels, expected.pixels).filter { $0 != $1 }.count
            #expect(output.batchCount == expected.batchCount && output.height == expected.height)
            #expect(differing == 0, "\(name): \(differing / 3) pixels differ")
            #expect(expected.pixels.contains(1), "\(name): the fixture has no edges")
        }
    }

    @Test func aFlatImageHasNoEdges() {
        let flat = Image(height: 9, width: 7, repeating: 0.5)
        #expect(CannyEdgeDetector(lowThreshold: 0.01, highThreshold: 0.02).edges(of: flat).values.allSatisfy { $0 == 0 })
    }
}
