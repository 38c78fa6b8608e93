import Foundation
import Testing
@testable import Loom

/// A PNG made of the given text chunks and nothing else, as far as the chunk reader cares.
func pngFile(texts: [(String, String)], truncated: Bool = false) -> [UInt8] {
    var bytes = PNGTextChunks.signature
    func chunk(_ type: String, _ data: [UInt8]) {
        let length = UInt32(data.count)
        bytes += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        bytes += Array(type.utf8) + data + [0, 0, 0, 0]
    }
    chunk("IHDR", [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0])
    for (keyword, text) in texts { chunk("tEXt", Array(keyword.utf8) + [0] + Array(text.utf8)) }
    if truncated { return Array(bytes.dropLast(3)) }
    chunk("IEND", [])
    return bytes
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

    @Test func readsTheWorkflowEmbeddedInAPNG() throws {
        let png = pngFile(texts: [("prompt", apiText), ("workflow", #"{"nodes": [], "links": []}"#)])
        let document = try loader.load(png, fileExtension: "png")
        #expect(document.format == .png)
        #expect(document.prompt == (try Prompt(parsing: apiText)))
        #expect(document.runExtraData["extra_pnginfo"]?["workflow"] == ["nodes": [], "links": []])
    }

    @Test func brokenPNGsGiveClearErrors() {
        #expect {
            try loader.load(pngFile(texts: [("prompt", apiText)], truncated: true), fileExtension: "png")
        } throws: { error in
            (error as? WorkflowFormatError)?.message.contains("truncated") == true
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
