import Testing
@testable import LoomGraph

@Suite struct YAMLWorkflowTests {
    let format = YAMLWorkflowFormat(registry: UIWorkflowTests().registry)

    /// Nine levels of ten aliases each name 10⁹ values in a few hundred bytes; reading stops at a budget.
    @Test func groupsBecomeNonOverlappingUIBoxesAroundTheirNodes() throws {
        let prompt = try format.prompt(fromYAML: """
            a:
              node: TestIntSource
              group: "Inputs"
              value: 1
            b:
              node: TestAdd
              group: "Sum"
              a: $a.INT
            c:
              node: TestOutput
              group: "Sum"
              value: $b.sum
            """)
        #expect(prompt["b"]?.group == "Sum" && prompt["a"]?.group == "Inputs")
        #expect(try format.prompt(fromYAML: format.yaml(from: prompt)) == prompt, "groups survive a YAML round trip")
        let ui = UIWorkflowConverter(registry: format.registry).uiWorkflow(from: prompt)
        let groups = ui["groups"]?.arrayValue ?? []
        #expect(groups.compactMap { $0["title"]?.stringValue } == ["Inputs", "Sum"])
        func box(_ group: JSONValue) -> [Int] { group["bounding"]?.arrayValue?.compactMap(\.intValue) ?? [] }
        let nodes = ui["nodes"]?.arrayValue ?? []
        for (title, members) in [("Inputs", ["TestIntSource"]), ("Sum", ["TestAdd", "TestOutput"])] {
            let bounds = box(groups.first { $0["title"]?.stringValue == title }!)
            for node in nodes where members.contains(node["type"]?.stringValue ?? "") {
                let position = node["pos"]?.arrayValue?.compactMap(\.intValue) ?? []
                #expect(position[0] >= bounds[0] && position[0] < bounds[0] + bounds[2], "\(title)")
                #expect(position[1] >= bounds[1] && position[1] < bounds[1] + bounds[3], "\(title)")
            }
        }
        let (first, second) = (box(groups[0]), box(groups[1]))
        #expect(first[1] + first[3] <= second[1], "bands do not overlap")
    }

    @Test func aliasBombInsideANodeIsRefused() throws {
        var yaml = "show:\n  node: TestOutput\n  l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            yaml += "  l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        #expect(yaml.utf8.count < 1000)
        let clock = ContinuousClock()
        let start = clock.now
        #expect(throws: WorkflowFormatError.self) { try format.prompt(fromYAML: yaml) }
        #expect(clock.now - start < .seconds(10))
        // A modest reuse of an anchor still reads.
        let reuse = "a:\n  node: TestOutput\n  value: &v [1, 2]\n  copy: *v\n"
        #expect(try format.prompt(fromYAML: reuse)["a"]?[input: "copy"] == .literal([1, 2]))
    }

    @Test func readsNamedNodesLinksAndDefaults() throws {
        let yaml = """
            # A hand-written graph.
            base:
              node: TestIntSource
              value: 4
            sum:
              node: TestAdd
              title: Sum it
              a: $base.INT
              b: $base
              offset: 0x10
            show:
              node: TestOutput
              value: $sum.sum
            sampler:
              node: TestSampler
              image: $base.0
              sampler_name: heun
            """
        let prompt = try format.prompt(fromYAML: yaml)
        #expect(prompt.ids == ["base", "sum", "show", "sampler"])
        #expect(prompt["sum"]?[input: "a"] == link("base"))
        #expect(prompt["sum"]?[input: "b"] == link("base"))
        #expect(prompt["sum"]?[input: "offset"] == .literal(16))
        #expect(prompt["sum"]?.title == "Sum it")
        #expect(prompt["show"]?[input: "value"] == link("sum"))
        // Required widget inputs left out take the schema's defaults.
        #expect(prompt["sampler"]?[input: "steps"] == .literal(20))
        #expect(prompt["sampler"]?[input: "cfg"] == .literal(8.0))
        #expect(prompt["sampler"]?[input: "scheduler"] == .literal("simple"))
        #expect(prompt["sampler"]?[input: "sampler_name"] == .literal("heun"))
        #expect(prompt["base"]?[input: "value"] == .literal(4))
    }

    @Test func scalarsKeepTheirTypes() throws {
        let yaml = """
            text:
              node: TestOutput
              value: yes
              flag: true
              number: 5
              real: 5.0
              quoted: "5"
              dollar: $$5
              list: [1, 2.5, "three"]
              date: 2024-01-01
              empty: null
            """
        let node = try #require(try format.prompt(fromYAML: yaml)["text"])
        #expect(node[input: "value"] == .literal("yes"))
        #expect(node[input: "flag"] == .literal(true))
        #expect(node[input: "number"] == .literal(5))
        #expect(node[input: "real"] == .literal(5.0))
        #expect(node[input: "quoted"] == .literal("5"))
        #expect(node[input: "dollar"] == .literal("$5"))
        #expect(node[input: "list"] == .literal([1, 2.5, "three"]))
        #expect(node[input: "date"] == .literal("2024-01-01"))
        #expect(node[input: "empty"] == .literal(nil))
    }

    @Test func apiToYAMLToAPIRoundTripsExactly() throws {
        let api = """
            {
              "3": {"inputs": {"seed": 156680208700286, "steps": 20, "cfg": 1.0, "sampler_name": "euler", "scheduler": "beta",
                               "image": ["10", 0], "denoise": 1.0}, "class_type": "TestSampler", "_meta": {"title": "KSampler"}},
              "10": {"inputs": {"image": "garment.png"}, "class_type": "TestLoadImage", "_meta": {"title": "Load Image"}},
              "11": {"inputs": {"value": "true"}, "class_type": "TestOutput"},
              "12": {"inputs": {"value": "line one\\nline two: with colon", "node": "$literal", "extra": {"__value__": [1, 2]},
                                "weird": " padded ", "n": 1e-05, "big": -1.5e+300}, "class_type": "TestOutput"},
              "13": {"inputs": {"value": ["12", 0], "other": ["3", 0]}, "class_type": "UnknownCustomNode", "_meta": {"title": "3"}}
            }
            """
        let prompt = try Prompt(parsing: api)
        let yaml = format.yaml(from: prompt)
        let back = try format.prompt(fromYAML: yaml)
        #expect(back == prompt, "YAML was:\n\(yaml)")
        #expect(back.json == prompt.json)
        #expect(yaml.contains("image: $load_image.IMAGE"))
        #expect(yaml.contains("id: 3"))
    }

    @Test func errorsNameTheLineAndTheProblem() {
        let yaml = """
            a:
              node: TestIntSource
              value: 1
            b:
              node: TestOutput
              value: $c.INT
            """
        #expect {
            try format.prompt(fromYAML: yaml)
        } throws: { error in
            let message = (error as? WorkflowFormatError)?.message ?? ""
            return message.contains("line 6") && message.contains("'$c.INT' names no node") && message.contains("input 'value'")
        }
        #expect(throws: WorkflowFormatError.self) {
            try format.prompt(fromYAML: "a:\n  node: TestIntSource\nb:\n  node: TestOutput\n  value: $a.NOPE\n")
        }
        #expect(throws: WorkflowFormatError.self) { try format.prompt(fromYAML: "- just\n- a list\n") }
        #expect(throws: WorkflowFormatError.self) { try format.prompt(fromYAML: "a: [unclosed\n") }
    }
}
