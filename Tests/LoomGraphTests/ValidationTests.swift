import Testing
@testable import LoomGraph

@Suite struct ValidationTests {
    let validator = Validator(registry: testRegistry)

    @Test func validPromptListsItsOutputs() throws {
        let prompt = Prompt(nodes: [
            node("1", "TestIntSource", [("value", literal(5))]),
            node("2", "TestOutput", [("value", link("1"))]),
        ])
        let validated = try validator.validate(prompt)
        #expect(validated.outputs == ["2"])
        #expect(validated.nodeErrors.isEmpty)
    }

    @Test func unknownClassIsMissingNodeType() {
        let prompt = Prompt(nodes: [node("7", "NoSuchNode")])
        #expect {
            try validator.validate(prompt)
        } throws: { error in
            let error = error as! PromptValidationError
            return error.error.type == "missing_node_type" && error.error.details == "Node ID '#7'"
                && error.error.message.contains("NoSuchNode")
        }
    }

    @Test func promptWithoutOutputsIsRejected() {
        let prompt = Prompt(nodes: [node("1", "TestIntSource", [("value", literal(1))])])
        #expect(throws: PromptValidationError.self) { try validator.validate(prompt) }
        do { _ = try validator.validate(prompt) } catch { #expect(error.error.type == "prompt_no_outputs") }
    }

    @Test func missingRequiredInputNamesNodeAndInput() throws {
        let prompt = Prompt(nodes: [
            PromptNode(id: "3", classType: "TestAdd", inputs: [], title: "Adder"),
            node("4", "TestOutput", [("value", link("3"))]),
        ])
        do {
            _ = try validator.validate(prompt)
            Issue.record("expected a validation error")
        } catch {
            #expect(error.error.type == "prompt_outputs_failed_validation")
            let errors = try #require(error.nodeErrors["3"])
            #expect(errors.errors.map(\.type) == ["required_input_missing"])
            #expect(errors.errors[0].details == "a")
            #expect(errors.dependentOutputs == ["4"])
            #expect(errors.classType == "TestAdd")
            #expect(error.nodeErrors["4"] == nil, "nodes invalid only through upstream errors are not listed")
            #expect(error.description.contains("node 3 \"Adder\" (TestAdd)"))
        }
    }

    @Test func literalsAreRangeChecked() throws {
        for (value, type, message) in [
            (JSONValue.int(-5000), "value_smaller_than_min", "Value -5000 smaller than min of -1000"),
            (.int(5000), "value_bigger_than_max", "Value 5000 bigger than max of 1000"),
            (.string("abc"), "invalid_input_type", "Failed to convert an input value to a INT value"),
        ] {
            let prompt = Prompt(nodes: [
                node("1", "TestIntSource", [("value", literal(value))]), node("2", "TestOutput", [("value", link("1"))]),
            ])
            do {
                _ = try validator.validate(prompt)
                Issue.record("\(value) should be rejected")
            } catch {
                let issue = try #require(error.nodeErrors["1"]?.errors.first)
                #expect(issue.type == type)
                #expect(issue.message == message)
                #expect(issue.extraInfo["input_name"] == "value")
                #expect(issue.extraInfo["received_value"] == value)
            }
        }
    }

    /// Python's `int()` has no upper limit, so numbers beyond 64 bits are range errors, never a trap.
    @Test func integersBeyond64BitsAreRangeErrors() throws {
        let hugeDigits = "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160"
        for (text, type, message) in [
            ("1e19", "value_bigger_than_max", "Value 10000000000000000000 bigger than max of 1000"),
            ("9.3e18", "value_bigger_than_max", "Value 9300000000000000000 bigger than max of 1000"),
            ("18446744073709551615", "value_bigger_than_max", "Value 18446744073709551615 bigger than max of 1000"),
            ("1e300", "value_bigger_than_max", "Value \(hugeDigits) bigger than max of 1000"),
            ("-1e300", "value_smaller_than_min", "Value -\(hugeDigits) smaller than min of -1000"),
            ("\"99999999999999999999999\"", "value_bigger_than_max", "Value 99999999999999999999999 bigger than max of 1000"),
            ("\"-9_223_372_036_854_775_809\"", "value_smaller_than_min", "Value -9223372036854775809 smaller than min of -1000"),
            ("Infinity", "invalid_input_type", "Failed to convert an input value to a INT value"),
        ] {
            let prompt = try Prompt(parsing: #"{"1": {"class_type": "TestIntSource", "inputs": {"value": \#(text)}}, "2": {"class_type": "TestOutput", "inputs": {"value": ["1", 0]}}}"#)
            do {
                _ = try validator.validate(prompt)
                Issue.record("\(text) should be rejected")
            } catch {
                let issue = try #require(error.nodeErrors["1"]?.errors.first)
                #expect(issue.type == type, "\(text)")
                #expect(issue.message == message, "\(text)")
            }
        }
        // Without declared bounds a value beyond 64 bits cannot reach the node.
        let unbounded = Prompt(nodes: [node("1", "TestVolatile", [("value", literal(1e300))]), node("2", "TestOutput", [("value", link("1"))])])
        #expect(throws: PromptValidationError.self) { try validator.validate(unbounded) }
    }

    /// ComfyUI's seeds span 0...0xffffffffffffffff; those above Int.max reach the node as their bit pattern.
    @Test func seedsSpanUnsigned64Bits() async throws {
        let text = #"{"1": {"class_type": "TestSeed", "inputs": {"seed": 18446744073709551615}}, "2": {"class_type": "TestOutput", "inputs": {"value": ["1", 0]}}}"#
        let validated = try validator.validate(Prompt(parsing: text))
        let outcome = await Executor(registry: testRegistry).run(validated)
        #expect(outcome.outputs["2"]?["values"] == ["-1"], "the bit pattern of 2⁶⁴−1")

        let beyond = try Prompt(parsing: text.replacingOccurrences(of: "18446744073709551615", with: "18446744073709551616"))
        do {
            _ = try validator.validate(beyond)
            Issue.record("2⁶⁴ is beyond a seed")
        } catch {
            #expect(error.nodeErrors["1"]?.errors.first?.message == "Value 18446744073709551616 bigger than max of 18446744073709551615")
        }
        let info = TestSeed.schema.inputs[0].objectInfo(files: nil)
        #expect(info.arrayValue?[1]["max"]?.jsonText() == "18446744073709551615")
    }

    @Test func integerStringsAndFloatsCoerceLikePython() throws {
        let prompt = Prompt(nodes: [
            node("1", "TestIntSource", [("value", literal("12"))]), node("2", "TestOutput", [("value", link("1"))]),
            node("3", "TestIntSource", [("value", literal(7.9))]), node("4", "TestOutput", [("value", link("3"))]),
        ])
        #expect(try validator.validate(prompt).outputs.sorted() == ["2", "4"])
    }

    // ComfyUI's multi-type input test: 5 and "foo" are rejected by the node's validator, 5.0 passes.
    @Test(arguments: [(JSONValue.int(5), false), (.string("foo"), false), (.double(5.0), true)])
    func multiTypeLiteral(value: JSONValue, accepted: Bool) throws {
        let prompt = Prompt(nodes: [
            node("1", "TestCustomValidation1", [("input1", literal(value)), ("input2", literal(3.0))]),
            node("2", "TestOutput", [("value", link("1"))]),
        ])
        if accepted {
            #expect(try validator.validate(prompt).outputs == ["2"])
        } else {
            do {
                _ = try validator.validate(prompt)
                Issue.record("expected rejection")
            } catch {
                #expect(error.nodeErrors["1"]?.errors.first?.type == "custom_validation_failed")
            }
        }
    }

    @Test(arguments: ["TestIntSource"])
    func linkTypeMismatchOnMultiTypeInput(source: String) throws {
        let prompt = Prompt(nodes: [
            node("1", source, [("value", literal(1))]),
            node("2", "TestCustomValidation1", [("input1", link("1")), ("input2", literal(3.0))]),
            node("3", "TestOutput", [("value", link("2"))]),
        ])
        do {
            _ = try validator.validate(prompt)
            Issue.record("INT into IMAGE,FLOAT must be rejected")
        } catch {
            let issue = try #require(error.nodeErrors["2"]?.errors.first)
            #expect(issue.type == "return_type_mismatch")
            #expect(issue.details == "input1, received_type(INT) mismatch input_type(IMAGE,FLOAT)")
        }
    }

    @Test func literalForASocketIsRejected() throws {
        let prompt = Prompt(nodes: [
            node("1", "TestSampler", [
                ("seed", literal(1)), ("steps", literal(2)), ("cfg", literal(1.0)), ("sampler_name", literal("euler")),
                ("scheduler", literal("beta")), ("denoise", literal(1.0)), ("image", literal("not a link")),
            ]),
            node("2", "TestOutput", [("value", link("1"))]),
        ])
        do {
            _ = try Validator(registry: UIWorkflowTests().registry).validate(prompt)
            Issue.record("a literal cannot feed an IMAGE socket")
        } catch {
            let issue = try #require(error.nodeErrors["1"]?.errors.first)
            #expect(issue.type == "invalid_input_type")
            #expect(issue.details == #"image: received "not a link", expected a link from an output of type IMAGE"#)
        }
    }

    @Test func partialValidityKeepsGoodOutputs() throws {
        let prompt = Prompt(nodes: [
            node("1", "TestIntSource", [("value", literal(1))]),
            node("2", "TestOutput", [("value", link("1"))]),
            node("3", "TestOutput", [("value", link("99"))]),
        ])
        let validated = try validator.validate(prompt)
        #expect(validated.outputs == ["2"])
        #expect(validated.nodeErrors["3"]?.errors.first?.type == "bad_linked_input")
        #expect(validated.nodeErrors["3"]?.dependentOutputs == ["3"])
    }

    @Test func malformedLinkIsReported() throws {
        var output = node("2", "TestOutput")
        output[input: "value"] = PromptInput(json: [1, 2, 3])
        let prompt = Prompt(nodes: [output])
        do {
            _ = try validator.validate(prompt)
            Issue.record("expected bad_linked_input")
        } catch {
            #expect(error.nodeErrors["2"]?.errors.first?.type == "bad_linked_input")
        }
    }

    @Test func cycleIsReportedWithItsPath() throws {
        let prompt = Prompt(nodes: [
            node("1", "TestAdd", [("a", link("2"))]),
            node("2", "TestAdd", [("a", link("1"))]),
            node("3", "TestOutput", [("value", link("1"))]),
        ])
        do {
            _ = try validator.validate(prompt)
            Issue.record("expected a cycle error")
        } catch {
            let issue = try #require(error.nodeErrors["1"]?.errors.first)
            #expect(issue.type == "dependency_cycle")
            #expect(issue.details == "1 (TestAdd) -> 2 (TestAdd) -> 1 (TestAdd)")
            #expect(error.nodeErrors["2"]?.errors.first?.type == "dependency_cycle")
        }
    }

    @Test func deepChainValidatesWithoutRecursion() throws {
        var nodes = [node("0", "TestIntSource", [("value", literal(1))])]
        for index in 1...2000 {
            nodes.append(node(String(index), "TestAdd", [("a", link(String(index - 1)))]))
        }
        nodes.append(node("out", "TestOutput", [("value", link("2000"))]))
        #expect(try validator.validate(Prompt(nodes: nodes)).outputs == ["out"])
    }

    @Test func partialExecutionTargets() throws {
        let prompt = Prompt(nodes: [
            node("1", "TestIntSource", [("value", literal(1))]),
            node("2", "TestOutput", [("value", link("1"))]),
            node("3", "TestOutput", [("value", link("1"))]),
        ])
        #expect(try validator.validate(prompt, targets: ["3"]).outputs == ["3"])
        #expect(throws: PromptValidationError.self) { try validator.validate(prompt, targets: []) }
    }
}
