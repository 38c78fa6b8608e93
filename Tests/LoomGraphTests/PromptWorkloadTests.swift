import Testing
@testable import LoomGraph

/// A loader and a sampler of the shapes the workload key reads: model files, an input image, a seed and text.
private struct TestWorkloadLoader: Node {
    static let schema = NodeSchema(
        name: "TestWorkloadLoader", category: "test",
        inputs: [.combo("ckpt_name", ComboOptions(choices: .files(folder: "checkpoints"))),
                 .combo("image", ComboOptions(choices: .files(folder: "input"), uploadsImage: true))],
        outputs: [OutputSpec("INT")])
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult { NodeResult([0]) }
}

private struct TestWorkloadSampler: Node {
    static let schema = NodeSchema(
        name: "TestWorkloadSampler", category: "test",
        inputs: [.link("model", "INT"), .seed("seed"), .string("text"), .combo("sampler", ["euler", "heun"])],
        outputs: [OutputSpec("INT")], isOutputNode: true)
    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult { NodeResult([0]) }
}

@Suite struct PromptWorkloadTests {
    let registry = NodeRegistry([TestWorkloadLoader.self, TestWorkloadSampler.self])

    func workload(model: String = "flux.safetensors", image: String = "a.png", seed: Int = 1, text: String = "a cat",
                  sampler: String = "euler") -> String {
        let prompt = Prompt(nodes: [
            node("1", "TestWorkloadLoader", [("ckpt_name", literal(.string(model))), ("image", literal(.string(image)))]),
            node("2", "TestWorkloadSampler", [("model", link("1")), ("seed", literal(.int(seed))), ("text", literal(.string(text))),
                                      ("sampler", literal(.string(sampler)))]),
        ])
        return ValidatedPrompt(prompt: prompt, outputs: ["2"], nodeErrors: [:]).workload(in: registry)
    }

    @Test func namesTheClassesAndModelFiles() {
        #expect(workload() == "TestWorkloadLoader\nTestWorkloadSampler\ncheckpoints/flux.safetensors")
    }

    @Test func rerunsWithOtherSettingsShareIt() {
        #expect(workload(image: "b.png", seed: 7, text: "a dog", sampler: "heun") == workload())
    }

    @Test func anotherModelMakesAnotherWorkload() {
        #expect(workload(model: "sdxl.safetensors") != workload())
    }
}
