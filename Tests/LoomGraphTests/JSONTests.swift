import Testing
@testable import LoomGraph

@Suite struct JSONTests {
    @Test func keepsKeyOrderAndNumberKinds() throws {
        let value = try JSONValue(parsing: #"{"b": 5, "a": 5.0, "c": [true, null, "x\u00e9\n"], "big": 1e400}"#)
        #expect(value.objectValue?.keys == ["b", "a", "c", "big"])
        #expect(value["b"] == .int(5))
        #expect(value["a"] == .double(5.0))
        #expect(value["c"] == [true, nil, "xé\n"])
        #expect(value["big"] == .double(.infinity))
    }

    @Test func writesPythonStyle() throws {
        let value: JSONValue = ["a": 1, "b": [1.5, 2.0, "q\""], "c": [:]]
        #expect(value.jsonText(indent: nil) == #"{"a": 1, "b": [1.5, 2.0, "q\""], "c": {}}"#)
        #expect(try JSONValue(parsing: value.jsonText()) == value)
    }

    @Test func integersUpTo64UnsignedBitsStayExact() throws {
        #expect(try JSONValue(parsing: "18446744073709551615") == .unsignedInt(.max))
        #expect(try JSONValue(parsing: "[9223372036854775808]").jsonText(indent: nil) == "[9223372036854775808]")
        #expect(try JSONValue(parsing: "-9223372036854775808") == .int(.min))
        #expect(try JSONValue(parsing: "18446744073709551616") == .double(18446744073709551616))
    }

    @Test func acceptsPythonNaN() throws {
        let value = try JSONValue(parsing: "[NaN, -Infinity]")
        #expect(value.arrayValue?[0].doubleValue?.isNaN == true)
        #expect(value.arrayValue?[1] == .double(-.infinity))
    }

    @Test(arguments: ["{", "[1,]", "{\"a\" 1}", "\"abc", "01x", "{\"a\": tru}"])
    func reportsSyntaxErrorsWithPosition(text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: text) }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let text = String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000)
        #expect(throws: JSONSyntaxError.self) { try JSONValue(parsing: text) }
    }

    @Test func promptRoundTripsThroughJSON() throws {
        let text = """
            {"3": {"inputs": {"seed": 42, "model": ["4", 0], "values": {"__value__": [1, 2]}}, "class_type": "KSampler", "_meta": {"title": "KSampler"}},
             "4": {"inputs": {"ckpt_name": "a.safetensors"}, "class_type": "CheckpointLoaderSimple"}}
            """
        let prompt = try Prompt(parsing: text)
        #expect(prompt["3"]?[input: "model"] == .link(NodeLink(node: "4", output: 0)))
        #expect(prompt["3"]?[input: "values"] == .literal([1, 2]))
        #expect(prompt["3"]?.title == "KSampler")
        #expect(try Prompt(json: prompt.json) == prompt)
        #expect(prompt.json == (try JSONValue(parsing: text)))
    }
}
