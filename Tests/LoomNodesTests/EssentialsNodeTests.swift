import ImagingTestSupport
import LoomGraph
import LoomImaging
import LoomNodes
import Testing

/// ComfyUI_essentials' nodes against outputs of its own code (see scripts/fixtures/make_image_fixtures.py).
@Suite struct EssentialsNodeTests {
    static func run<N: Node>(_ type: N.Type, _ values: [String: NodeValue]) async throws -> NodeResult {
        try await N().execute(
            NodeInputs(values, nodeID: "1", classType: N.schema.name),
            context: NodeContext(nodeID: "1", promptID: "p", resources: Resources()))
    }

    @Test func imageResizePlusMatchesEssentials() async throws {
        let cases = Fixtures.cases(kind: "resize_plus")
        #expect(cases.count == 8)
        for (name, parameters) in cases {
            let result = try await Self.run(ImageResizePlus.self, [
                "image": try Fixtures.image(parameters["input"] as! String),
                "width": parameters["width"] as! Int, "height": parameters["height"] as! Int,
                "interpolation": parameters["interpolation"] as! String, "method": parameters["method"] as! String,
                "condition": parameters["condition"] as! String, "multiple_of": parameters["multiple_of"] as! Int,
            ])
            let output = try #require(result.outputs[0] as? Image)
            let difference = largestDifference(output, try Fixtures.image(name))
            #expect(difference != nil && difference! < 1e-5, "\(name): \(String(describing: difference))")
            #expect(result.outputs[1] as? Int == parameters["out_width"] as? Int, "\(name)")
            #expect(result.outputs[2] as? Int == parameters["out_height"] as? Int, "\(name)")
        }
    }

    @Test func imageCropPlusMatchesEssentials() async throws {
        let cases = Fixtures.cases(kind: "crop_plus")
        #expect(cases.count == 3)
        for (name, parameters) in cases {
            let result = try await Self.run(ImageCropPlus.self, [
                "image": try Fixtures.image(parameters["input"] as! String),
                "width": parameters["width"] as! Int, "height": parameters["height"] as! Int,
                "position": parameters["position"] as! String,
                "x_offset": parameters["x_offset"] as! Int, "y_offset": parameters["y_offset"] as! Int,
            ])
            #expect(result.outputs[0] as? Image == (try Fixtures.image(name)), "\(name)")
            #expect(result.outputs[1] as? Int == parameters["out_x"] as? Int, "\(name)")
            #expect(result.outputs[2] as? Int == parameters["out_y"] as? Int, "\(name)")
        }
    }

    @Test func getImageSizePlusCountsTheBatch() async throws {
        let result = try await Self.run(GetImageSizePlus.self, ["image": Image(batchCount: 3, height: 2, width: 5, repeating: 0)])
        #expect(result.outputs.compactMap { $0 as? Int } == [5, 2, 3])
        #expect(GetImageSizePlus.schema.outputs.map(\.name) == ["width", "height", "count"])
        #expect(ImageResizePlus.schema.name == "ImageResize+" && ImageCropPlus.schema.name == "ImageCrop+")
    }

    /// Each expression against the result (or the exception) of the node's own Python evaluator.
    @Test func simpleMathMatchesEssentials() async throws {
        let cases = Fixtures.cases(kind: "simple_math")
        #expect(cases.count == 43)
        for (name, parameters) in cases {
            let expression = parameters["value"] as! String
            var values: [String: NodeValue] = ["value": expression]
            for variable in ["a", "b", "c"] {
                let operand = parameters[variable] as! [String: Any]
                if let int = operand["int"] as? Int { values[variable] = int }
                if let float = operand["float"] as? Double { values[variable] = float }
                if let string = operand["string"] as? String { values[variable] = string }
                if let image = operand["image"] as? String { values[variable] = try Fixtures.image(image) }
                if let mask = operand["mask"] as? String { values[variable] = try Fixtures.mask(mask) }
            }
            if parameters["error"] != nil {
                await #expect(throws: NodeError.self, "\(name): \(expression)") {
                    try await Self.run(SimpleMathPlus.self, values)
                }
                continue
            }
            let result = try await Self.run(SimpleMathPlus.self, values)
            #expect(result.outputs[0] as? Int == parameters["int"] as? Int, "\(name): \(expression)")
            #expect(result.outputs[1] as? Double == parameters["float"] as? Double, "\(name): \(expression)")
        }
    }

    @Test func simpleMathErrorsNameTheNodeAndTheProblem() async throws {
        for (expression, fragment) in [
            ("a +", "unexpected end of expression"), ("", "empty expression"), ("1 / 0", "division by zero"),
            ("a << 1", "unexpected '<'"), ("a[1]", "'float' object is not subscriptable"),
        ] {
            do {
                _ = try await Self.run(SimpleMathPlus.self, ["value": expression])
                Issue.record("'\(expression)' evaluated")
            } catch let error as NodeError {
                #expect(error.node == "SimpleMath+" && error.message.contains(fragment), "\(error)")
            }
        }
        await #expect(throws: NodeError.self) {
            try await Self.run(SimpleMathPlus.self, ["value": "a", "a": "twelve"])
        }
    }

    /// A literal list is a Python list to the node; other literals are named as values, not as Swift types.
    @Test func simpleMathTakesLiteralListsAndNamesOtherValues() async throws {
        let result = try await Self.run(SimpleMathPlus.self, ["value": "a[1] + len(a)", "a": JSONValue.array([2.5, 3])])
        #expect(result.outputs[0] as? Int == 5)
        do {
            _ = try await Self.run(SimpleMathPlus.self, ["value": "a", "a": JSONValue.object(["x": 2.5])])
            Issue.record("an object evaluated")
        } catch let error as NodeError {
            #expect(error.message == #"a: the literal {"x": 2.5} cannot be used in an expression"#)
        }
    }

    /// Hostile expressions end in an error, never a stack overflow, a trap or an exhausted machine.
    @Test func simpleMathBoundsDepthSizeAndOverflow() async throws {
        let deep = 100_000
        for (expression, fragment) in [
            (String(repeating: "(", count: deep) + "1" + String(repeating: ")", count: deep), "nests deeper than 100"),
            (String(repeating: "-", count: deep) + "1", "nests deeper than 100"),
            (String(repeating: "not ", count: deep) + "1", "nests deeper than 100"),
            (String(repeating: "2**", count: deep) + "1", "nests deeper than 100"),
            (String(repeating: "1+", count: deep) + "1", "more than 2000 operations"),
            ("max(" + String(repeating: "1,", count: deep) + "1)", "more than 2000 operations"),
            ("round(9223372036854775807, -1)", "integer result too large"),
            ("round(-9223372036854775807 - 1, -1)", "integer result too large"),
            ("a * 1000000 + a * 1000000", "more than 1048576 elements"),
        ] {
            do {
                let result = try await Self.run(SimpleMathPlus.self, ["value": expression, "a": Mask(batchCount: 1, height: 2, width: 2, values: [0, 0, 0, 0])])
                Issue.record("'\(expression.prefix(40))' evaluated to \(result.outputs)")
            } catch let error as NodeError {
                #expect(error.message.contains(fragment), "\(error.message.prefix(200))")
                #expect(error.message.count < 300, "the expression is cut in the message")
            }
        }
        let rounded = try await Self.run(SimpleMathPlus.self, ["value": "round(9223372036854775794, -1)"])
        #expect(rounded.outputs[0] as? Int == 9_223_372_036_854_775_790)
        let halfEven = try await Self.run(SimpleMathPlus.self, ["value": "round(-25, -1)"])
        #expect(halfEven.outputs[0] as? Int == -20)
        let largest = try await Self.run(SimpleMathPlus.self, ["value": "round(-9223372036854775807, -18)"])
        #expect(largest.outputs[0] as? Int == -9_000_000_000_000_000_000)
    }
}

