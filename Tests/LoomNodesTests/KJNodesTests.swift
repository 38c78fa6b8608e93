import ImagingTestSupport
import LoomGraph
import LoomImaging
import LoomNodes
import Testing

/// KJNodes' ImageConcanate against outputs of its own code (see scripts/fixtures/make_image_fixtures.py).
@Suite struct KJNodesTests {
    static func value(_ name: String) throws -> NodeValue {
        let array = try Fixtures.array(name)
        return array.shape.count == 3 ? try Fixtures.mask(name) : try Fixtures.image(name)
    }

    @Test func imageConcanateMatchesKJNodes() async throws {
        let cases = Fixtures.cases(kind: "concat")
        #expect(cases.count == 6)
        for (name, parameters) in cases {
            let result = try await ImageConcanate().execute(
                NodeInputs([
                    "image1": try Self.value(parameters["image1"] as! String),
                    "image2": try Self.value(parameters["image2"] as! String),
                    "direction": parameters["direction"] as! String,
                    "match_image_size": parameters["match_image_size"] as! Bool,
                ]),
                context: NodeContext(nodeID: "1", promptID: "p", resources: Resources()))
            switch try Self.value(name) {
            case let expected as Mask:
                let output = try #require(result.outputs[0] as? Mask, "\(name) gives a mask")
                let difference = largestDifference(output, expected)
                #expect(difference != nil && difference! < 1e-5, "\(name): \(String(describing: difference))")
            case let expected as Image:
                let output = try #require(result.outputs[0] as? Image, "\(name) gives an image")
                let difference = largestDifference(output, expected)
                #expect(difference != nil && difference! < 1e-5, "\(name): \(String(describing: difference))")
            default:
                Issue.record("\(name): unexpected fixture")
            }
        }
    }

    @Test func growMaskWithBlurMatchesKJNodes() async throws {
        let cases = Fixtures.cases(kind: "grow_blur")
        #expect(cases.count == 6)
        for (name, parameters) in cases {
            var values: [String: NodeValue] = ["mask": try Fixtures.mask(parameters["input"] as! String)]
            for key in ["expand"] { values[key] = parameters[key] as! Int }
            for key in ["incremental_expandrate", "blur_radius", "lerp_alpha", "decay_factor"] {
                values[key] = parameters[key] as! Double
            }
            for key in ["tapered_corners", "flip_input", "fill_holes"] { values[key] = parameters[key] as! Bool }
            let result = try await GrowMaskWithBlur().execute(
                NodeInputs(values), context: NodeContext(nodeID: "1", promptID: "p", resources: Resources()))
            for (output, suffix) in [(0, ""), (1, "_inverted")] {
                let mask = try #require(result.outputs[output] as? Mask)
                let difference = largestDifference(mask, try Fixtures.mask(name + suffix))
                #expect(difference != nil && difference! < 1e-5, "\(name)\(suffix): \(String(describing: difference))")
            }
        }
    }
}
