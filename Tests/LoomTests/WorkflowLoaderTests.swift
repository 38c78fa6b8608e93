import Foundation
import LoomImaging
import Testing
@testable import Loom

/// A 2×2 PNG carrying the given text chunks, written by libpng as SaveImage writes them.
func pngFile(texts: [(String, String)], truncated: Bool = false) throws -> [UInt8] {
    let image = RasterImage(
        width: 2, height: 2, channels: 3, bitDepth: 8, samples: Array(repeating: 128, count: 12),
        textChunks: texts.map { PNGTextChunk(key: $0.0, text: $0.1) })
    let bytes = try image.encodedPNG()
    return truncated ? Array(bytes.dropLast(20)) : bytes
}

@Suite struct WorkflowLoaderTests {
    let loader = WorkflowLoader(registry: NodeLibrary.registry)
    let apiText = #"{"1": {"inputs": {"value": "hi"}, "class_type": "PrimitiveString"}, "2": {"inputs": {"source": ["1", 0]}, "class_type": "PreviewAny"}}"#

    @Test func detectsAPIRequestUIAndYAML() throws {
        #expect(try loader.load(Array(apiText.utf8), fileExtension: "json").format == .api)
        let request = #"{"prompt": \#(apiText), "client_id": "abc", "partial_execution_targets": ["2"], "extra_data": {"extra_pnginfo": {"workflow": {"nodes": []}}}}"#
        let document = try loader.load(Array(request.utf8), fileExtension: "json")
        #expect(document.partialExecutionTargets == ["2"])
        #expect(document.uiWorkflow == ["nodes": []])
        let ui = UIWorkflowConverter(registry: NodeLibrary.registry).uiWorkflow(from: try Prompt(parsing: apiText))
        let fromUI = try loader.load(Array(ui.jsonText().utf8), fileExtension: "json")
        #expect(fromUI.format == .ui)
        #expect(fromUI.prompt[ "2"]?[input: "source"] == .link(NodeLink(node: "1", output: 0)))
        let yaml = "a:\n  node: PrimitiveString\n  value: hi\n"
        #expect(try loader.load(Array(yaml.utf8), fileExtension: "yaml").prompt["a"]?[input: "value"] == .literal("hi"))
    }

    @Test func anAPIPromptMayHaveANodeCalledPrompt() throws {
        let text = #"{"prompt": {"inputs": {"value": "hi"}, "class_type": "PrimitiveString"}, "2": {"inputs": {"source": ["prompt", 0]}, "class_type": "PreviewAny"}}"#
        let document = try loader.load(Array(text.utf8), fileExtension: "json")
        #expect(document.format == .api)
        #expect(document.prompt["2"]?[input: "source"] == .link(NodeLink(node: "prompt", output: 0)))
    }

    @Test func readsTheWorkflowEmbeddedInAPNG() throws {
        let png = try pngFile(texts: [("prompt", apiText), ("workflow", #"{"nodes": [], "links": []}"#)])
        let document = try loader.load(png, fileExtension: "png")
        #expect(document.format == .png)
        #expect(document.prompt == (try Prompt(parsing: apiText)))
        #expect(document.runExtraData["extra_pnginfo"]?["workflow"] == ["nodes": [], "links": []])
    }

    @Test func brokenPNGsGiveClearErrors() {
        #expect {
            try loader.load(pngFile(texts: [("prompt", apiText)], truncated: true), fileExtension: "png")
        } throws: { error in
            (error as? WorkflowFormatError)?.message.contains("cannot read the PNG") == true
        }
        #expect {
            try loader.load(pngFile(texts: [("Software", "paint")]), fileExtension: "png")
        } throws: { error in
            (error as? WorkflowFormatError)?.message.contains("no embedded workflow") == true
        }
    }

    @Test func fileErrorsNameTheFile() {
        let url = URL(fileURLWithPath: "/nonexistent/flow.json")
        #expect {
            try loader.load(contentsOf: url)
        } throws: { error in
            "\(error)".contains("/nonexistent/flow.json")
        }
    }
}
