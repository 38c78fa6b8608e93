import Foundation
import Testing
@testable import LoomGraph

/// Schema-only nodes shaped like ComfyUI's KSampler and LoadImage, for widget mapping.
struct TestSampler: Node {
    static let schema = NodeSchema(
        name: "TestSampler", category: "test",
        inputs: [
            .int("seed", default: 0, min: 0, max: Int.max, controlAfterGenerate: true),
            .int("steps", default: 20, min: 1, max: 10000),
            .float("cfg", default: 8, min: 0, max: 100),
            .combo("sampler_name", ["euler", "heun"]),
            .combo("scheduler", ["simple", "beta"]),
            .link("image", "IMAGE"),
            .float("denoise", default: 1, min: 0, max: 1),
        ],
        outputs: [OutputSpec("IMAGE")])
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult { throw TestFailure() }
}

struct TestLoadImage: Node {
    static let schema = NodeSchema(
        name: "TestLoadImage", category: "test",
        inputs: [
            .combo("image", ComboOptions(choices: .fixed(["garment.png"]), uploadsImage: true)),
            .float("gamma", default: 1, section: .optional),
        ],
        outputs: [OutputSpec("IMAGE")])
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult { throw TestFailure() }
}

func fixture(_ name: String) throws -> JSONValue {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
    return try JSONValue(parsing: String(contentsOf: url, encoding: .utf8))
}

@Suite struct UIWorkflowTests {
    var registry: NodeRegistry {
        var registry = testRegistry
        registry.register(TestSampler.self)
        registry.register(TestLoadImage.self)
        return registry
    }

    /// Twelve levels of subgraphs with ten instances of the next level each would flatten to 10¹² nodes.
    @Test func subgraphFanOutIsBounded() throws {
        func definition(_ level: Int) -> JSONValue {
            let inner: [JSONValue] = level == 12
                ? [["id": 1, "type": "TestIntSource", "widgets_values": [1]]]
                : (1...10).map { .object(["id": .int($0), "type": .string("level-\(level + 1)")]) }
            return ["id": .string("level-\(level)"), "name": .string("level \(level)"), "nodes": .array(inner), "links": []]
        }
        let json: JSONValue = [
            "nodes": [["id": 1, "type": "level-1"]], "links": [],
            "definitions": ["subgraphs": .array((1...12).map(definition))],
        ]
        let workflow = try UIWorkflow(json: json)
        let clock = ContinuousClock()
        let start = clock.now
        #expect(throws: WorkflowFormatError.self) { try UIWorkflowConverter(registry: registry).prompt(from: workflow) }
        #expect(clock.now - start < .seconds(5))
    }

    @Test func nodeIDsBeyond64BitsAreErrors() throws {
        for id in ["1e300", "-1e19", "1.5"] {
            let json = try JSONValue(parsing: #"{"nodes": [{"id": \#(id), "type": "TestIntSource", "widgets_values": [1]}], "links": []}"#)
            #expect(throws: WorkflowFormatError.self, "\(id)") { try UIWorkflow(json: json) }
        }
        let big = try UIWorkflow(json: JSONValue(parsing: #"{"nodes": [{"id": 18446744073709551615, "type": "TestIntSource", "widgets_values": [1]}], "links": []}"#))
        #expect(try UIWorkflowConverter(registry: registry).prompt(from: big).ids == ["18446744073709551615"])
    }

    @Test func flattensSubgraphsAndResolvesVirtualNodes() throws {
        let workflow = try UIWorkflow(json: fixture("ui-subgraph-workflow.json"))
        let prompt = try UIWorkflowConverter(registry: registry).prompt(from: workflow)
        #expect(Set(prompt.ids) == ["1", "4", "10:1", "10:2", "11"])
        #expect(prompt["1"]?[input: "value"] == .literal(3))
        // The reroute is transparent and the primitive's value replaces the stored widget value.
        #expect(prompt["4"]?[input: "a"] == link("1"))
        #expect(prompt["4"]?[input: "offset"] == .literal(7))
        #expect(prompt["4"]?.title == "First sum")
        // Node 5 is bypassed: the subgraph reads node 4 directly.
        #expect(prompt["10:1"]?[input: "a"] == link("4"))
        #expect(prompt["10:1"]?[input: "offset"] == .literal(5))
        #expect(prompt["10:2"]?[input: "value"] == link("10:1"))
        #expect(prompt["10:2"]?.title == "Inner preview")
        #expect(prompt["11"]?[input: "value"] == link("10:1"))
    }

    @Test func convertedWorkflowRuns() async throws {
        let workflow = try UIWorkflow(json: fixture("ui-subgraph-workflow.json"))
        let prompt = try UIWorkflowConverter(registry: registry).prompt(from: workflow)
        let validated = try Validator(registry: registry).validate(prompt)
        #expect(Set(validated.outputs) == ["10:2", "11"])
        let outcome = await Executor(registry: registry).run(validated)
        #expect(outcome.outputs["11"]?["values"] == ["15"])
        #expect(outcome.outputs["10:2"]?["values"] == ["15"])
    }

    @Test func mapsWidgetsPastControlAndUploadValues() throws {
        let workflow = try UIWorkflow(json: fixture("ui-widgets-workflow.json"))
        let prompt = try UIWorkflowConverter(registry: registry).prompt(from: workflow)
        let sampler = try #require(prompt["2"])
        #expect(sampler[input: "seed"] == .literal(156680208700286))
        #expect(sampler[input: "steps"] == .literal(20))
        #expect(sampler[input: "cfg"] == .literal(1.0))
        #expect(sampler[input: "sampler_name"] == .literal("euler"))
        #expect(sampler[input: "scheduler"] == .literal("beta"))
        #expect(sampler[input: "denoise"] == .literal(1.0))
        #expect(sampler[input: "image"] == link("1"))
        #expect(prompt["1"]?[input: "image"] == .literal("garment.png"))
        #expect(prompt["1"]?[input: "gamma"] == .literal(0.25))
    }

    @Test func mutedSourceRemovesTheInput() throws {
        var json = try fixture("ui-subgraph-workflow.json").objectValue!
        var nodes = json["nodes"]!.arrayValue!
        var source = nodes[0].objectValue!
        source["mode"] = 2
        nodes[0] = .object(source)
        json["nodes"] = .array(nodes)
        let prompt = try UIWorkflowConverter(registry: registry).prompt(from: UIWorkflow(json: .object(json)))
        #expect(prompt["1"] == nil)
        #expect(prompt["4"]?[input: "a"] == nil)
        do {
            _ = try Validator(registry: registry).validate(prompt)
            Issue.record("the muted source leaves a required input empty")
        } catch {
            #expect(error.nodeErrors["4"]?.errors.first?.type == "required_input_missing")
        }
    }

    @Test func subgraphInstancesOverridePromotedWidgets() throws {
        var json = try fixture("ui-subgraph-workflow.json").objectValue!
        var nodes = json["nodes"]!.arrayValue!
        let index = nodes.firstIndex { $0["id"] == 10 }!
        var instance = nodes[index].objectValue!
        instance["properties"] = ["proxyWidgets": [["1", "offset"]]]
        instance["widgets_values"] = [40]
        nodes[index] = .object(instance)
        json["nodes"] = .array(nodes)
        let prompt = try UIWorkflowConverter(registry: registry).prompt(from: UIWorkflow(json: .object(json)))
        #expect(prompt["10:1"]?[input: "offset"] == .literal(40))
    }

    @Test func legacyGroupNodesAreExplained() throws {
        var json = try fixture("ui-widgets-workflow.json").objectValue!
        var nodes = json["nodes"]!.arrayValue!
        nodes.append(["id": 5, "type": "workflow>Upscale", "mode": 0, "inputs": [], "outputs": []])
        json["nodes"] = .array(nodes)
        #expect {
            try UIWorkflowConverter(registry: registry).prompt(from: UIWorkflow(json: .object(json)))
        } throws: { error in
            "\(error)".contains("legacy group node") && "\(error)".contains("subgraph")
        }
    }

    @Test func selfContainingSubgraphIsAnError() throws {
        var json = try fixture("ui-subgraph-workflow.json").objectValue!
        var definition = json["definitions"]!["subgraphs"]!.arrayValue![0].objectValue!
        var inner = definition["nodes"]!.arrayValue!
        inner.append(["id": 9, "type": "a1b2c3d4-0000-4000-8000-00000000abcd", "mode": 0, "inputs": [], "outputs": []])
        definition["nodes"] = .array(inner)
        json["definitions"] = ["subgraphs": [.object(definition)]]
        #expect(throws: WorkflowFormatError.self) {
            try UIWorkflowConverter(registry: registry).prompt(from: UIWorkflow(json: .object(json)))
        }
    }
}
