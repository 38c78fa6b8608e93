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

    @Test func imageResizeKJMatchesKJNodes() async throws {
        let cases = Fixtures.cases(kind: "resize_kj")
        #expect(cases.count == 6)
        for (name, parameters) in cases {
            var values: [String: NodeValue] = [
                "image": try Fixtures.image(parameters["input"] as! String),
                "width": parameters["width"] as! Int, "height": parameters["height"] as! Int,
                "upscale_method": parameters["upscale_method"] as! String,
                "keep_proportion": parameters["keep_proportion"] as! Bool,
                "divisible_by": parameters["divisible_by"] as! Int,
            ]
            // Old workflows store the crop widget as the number 0.
            values["crop"] = (parameters["crop"] as? String).map { $0 as NodeValue } ?? (parameters["crop"] as! Int)
            if let reference = parameters["get_image_size"] as? String {
                values["get_image_size"] = try Fixtures.image(reference)
            }
            let result = try await ImageResizeKJ().execute(
                NodeInputs(values), context: NodeContext(nodeID: "1", promptID: "p", resources: Resources()))
            let output = try #require(result.outputs[0] as? Image)
            let difference = largestDifference(output, try Fixtures.image(name))
            #expect(difference != nil && difference! < 1e-5, "\(name): \(String(describing: difference))")
            #expect(result.outputs[1] as? Int == parameters["out_width"] as? Int, "\(name)")
            #expect(result.outputs[2] as? Int == parameters["out_height"] as? Int, "\(name)")
        }
    }

    @Test func imageResizeKJRefusesAnEmptyTarget() async throws {
        await #expect(throws: NodeError.self) {
            try await ImageResizeKJ().execute(
                NodeInputs([
                    "image": Image(height: 4, width: 4, repeating: 0.5), "width": 0, "height": 0,
                    "upscale_method": "bilinear", "keep_proportion": true, "divisible_by": 2,
                ]),
                context: NodeContext(nodeID: "1", promptID: "p", resources: Resources()))
        }
    }
}

