import LoomGraph
import Testing
@testable import LoomNodes

@Suite struct UtilityNodeTests {
    func run(_ prompt: Prompt) async throws -> ExecutionOutcome {
        let validated = try Validator(registry: NodeLibrary.registry).validate(prompt)
        return await Executor(registry: NodeLibrary.registry).run(validated)
    }

    func node(_ id: String, _ classType: String, _ inputs: [(String, PromptInput)]) -> PromptNode {
        PromptNode(id: id, classType: classType, inputs: inputs.map { (name: $0.0, value: $0.1) })
    }

    @Test func primitivesFeedPreviewAny() async throws {
        let cases: [(String, JSONValue, String)] = [
            ("PrimitiveInt", 42, "42"), ("PrimitiveFloat", 0.5, "0.5"), ("PrimitiveFloat", 2, "2.0"),
            ("PrimitiveBoolean", true, "true"), ("PrimitiveString", "abc", "abc"),
            ("PrimitiveStringMultiline", "a\nb", "a\nb"),
        ]
        for (classType, value, shown) in cases {
            let outcome = try await run(Prompt(nodes: [
                node("1", classType, [("value", .literal(value))]),
                node("2", "PreviewAny", [("source", .link(NodeLink(node: "1", output: 0)))]),
            ]))
            #expect(outcome.outputs["2"]?["text"] == [.string(shown)], "\(classType) \(value)")
        }
    }

    @Test func stringConcatenateJoinsWithDelimiter() async throws {
        let outcome = try await run(Prompt(nodes: [
            node("1", "StringConcatenate", [("string_a", .literal("red")), ("string_b", .literal("dress")), ("delimiter", .literal(" "))]),
            node("2", "PreviewAny", [("source", .link(NodeLink(node: "1", output: 0)))]),
        ]))
        #expect(outcome.outputs["2"]?["text"] == ["red dress"])
    }

    @Test func switchRunsOnlyTheChosenBranchAndIgnoresAMissingModelOnTheOther() async throws {
        let outcome = try await run(Prompt(nodes: [
            node("1", "StringConcatenate", [("string_a", .literal("red")), ("string_b", .literal("dress")), ("delimiter", .literal(" "))]),
            node("2", "CheckpointLoaderSimple", [("ckpt_name", .literal("not-installed.safetensors"))]),
            node("3", "ComfySwitchNode", [
                ("switch", .literal(true)), ("on_true", .link(NodeLink(node: "1", output: 0))),
                ("on_false", .link(NodeLink(node: "2", output: 0))),
            ]),
            node("4", "PreviewAny", [("source", .link(NodeLink(node: "3", output: 0)))]),
        ]))
        #expect(outcome.outputs["4"]?["text"] == ["red dress"])
        #expect(!outcome.executedNodes.contains("2"))
        let info = ComfySwitchNode.schema.objectInfo(files: nil)
        #expect(info["output_name"] == ["output"])
        #expect(info["input"]?["required"]?["on_true"] == ["*", ["lazy": true]])
    }

    @Test func objectInfoMatchesComfyUIShape() throws {
        let info = PrimitiveInt.schema.objectInfo(files: nil)
        #expect(info["input"]?["required"]?["value"] == [
            "INT", ["default": 0, "min": .int(Int.min + 1), "max": .int(Int.max), "step": 1, "control_after_generate": true],
        ])
        #expect(info["input_order"] == ["required": ["value"]])
        #expect(info["output"] == ["INT"])
        #expect(info["output_is_list"] == [false])
        #expect(info["output_name"] == ["INT"])
        #expect(info["name"] == "PrimitiveInt")
        #expect(info["display_name"] == "Int")
        #expect(info["category"] == "utils/primitive")
        #expect(info["output_node"] == false)
        #expect(info["python_module"] == "comfy_extras.nodes_primitive")
        #expect(PreviewAny.schema.objectInfo(files: nil)["output_node"] == true)
    }
}
