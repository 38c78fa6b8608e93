import Foundation
import ImagingTestSupport
import Testing

/// Hostile or mistaken files given to the `loom` executable end with exit status 1 or 2 and a readable message:
/// never a signal, a hang or a screen of binary.
@Suite(.serialized) struct HostileInputCommandLineTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-hostile-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    private func write(_ text: String, to name: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// The result of `loom arguments…`, checked to have ended by exit (not by a signal) with `status`.
    private func loom(_ arguments: [String], status: Int32) throws -> String {
        let result = try LoomProcess.run(arguments)
        #expect(result.status == status, "\(arguments): \(result.error)")
        #expect(result.error.unicodeScalars.allSatisfy { $0 == "\n" || $0 == "\t" || $0.properties.generalCategory != .control },
                "no binary on the terminal")
        return result.error
    }

    @Test func integersBeyond64BitsAreValidationErrors() throws {
        for value in ["1e19", "9.3e18", "1e300", "18446744073709551615"] {
            let flow = try write(
                #"{"1": {"class_type": "PrimitiveInt", "inputs": {"value": \#(value)}}, "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}}}"#,
                to: "int.json")
            #expect(try loom(["validate", flow], status: 2).contains("bigger than max of 9223372036854775807"), "\(value)")
        }
        let ui = try write(#"{"nodes": [{"id": 1e300, "type": "PrimitiveInt", "widgets_values": [1]}], "links": []}"#, to: "ui.json")
        #expect(try loom(["validate", ui], status: 2).contains("no id"))
    }

    @Test func imagesAndBinaryFilesAreNotWorkflows() throws {
        let photo = directory.appendingPathComponent("photo.jpg")
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("Tests/Fixtures/images/jpeg_420.jpg"), to: photo)
        #expect(try loom(["run", photo.path], status: 2).contains("a JPEG image, not a workflow"))
        let blob = directory.appendingPathComponent("blob.yaml")
        try Data([0x7B, 0x00, 0xFF, 0xFE, 0x01, 0x02]).write(to: blob)
        #expect(try loom(["run", blob.path], status: 2).contains("binary data, not a workflow"))
    }

    @Test func tinyFilesThatWouldExpandEnormouslyAreRefused() throws {
        var bomb = "show:\n  node: PreviewAny\n  source: x\n  l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            bomb += "  l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        #expect(try loom(["validate", try write(bomb, to: "bomb.yaml")], status: 2).contains("aliases"))
    }

    @Test func convertWithAnUnknownExtensionExitsTwo() throws {
        let flow = try write("n:\n  node: PrimitiveInt\n  value: 1\n", to: "flow.yaml")
        let message = try loom(["convert", flow, "-o", directory.appendingPathComponent("out.txt").path], status: 2)
        #expect(message.contains("cannot tell the format"))
    }
}

extension HostileInputCommandLineTests {
    /// `loom run big.png` reads the workflow from the text chunks; the 30000² pixels are never decoded.
    @Test func aHugePNGsWorkflowIsReadWithoutDecodingIt() throws {
        let prompt = #"{"1": {"class_type": "PrimitiveString", "inputs": {"value": "from a huge picture"}}, "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}}}"#
        let png = directory.appendingPathComponent("big.png")
        try Data(OversizedImages.png(width: 30000, height: 30000, texts: [("prompt", prompt)])).write(to: png)
        let result = try LoomProcess.run(["run", png.path, "--no-disk-cache"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("from a huge picture"))
    }
}

extension HostileInputCommandLineTests {
    /// Outputs that together pass `--max-prompt-memory-mb` fail the node that passes it, and an allocation that
    /// would is refused before it is made: exit 1 with one line naming the node and the limit.
    @Test func aPromptsOutputsStayWithinItsMemoryLimit() throws {
        // 1024 × 1024 × 8 RGB floats: 96 MiB an image batch.
        let chain = try write("""
            blank: {node: EmptyImage, width: 1024, height: 1024, batch_size: 8, color: 0}
            inverted: {node: ImageInvert, image: $blank.IMAGE}
            size: {node: GetImageSize, image: $inverted.IMAGE}
            show: {node: PreviewAny, source: $size.batch_size}
            """, to: "chain.yaml")
        let limited = try loom(["run", chain, "--no-disk-cache", "--max-prompt-memory-mb", "150"], status: 1)
        #expect(limited.contains("node inverted ImageInvert failed: ImageInvert: its IMAGE output holds 96 MiB"), "\(limited)")
        #expect(limited.contains("more than the limit of 150 MiB per prompt (--max-prompt-memory-mb)"), "\(limited)")
        #expect(limited.split(separator: "\n").count <= 2, "\(limited)")
        #expect(try LoomProcess.run(["run", chain, "--no-disk-cache", "--max-prompt-memory-mb", "200"]).status == 0)

        let large = try write("blank: {node: EmptyImage, width: 1024, height: 1024, batch_size: 16, color: 0}\nsize: {node: GetImageSize, image: $blank.IMAGE}\nshow: {node: PreviewAny, source: $size.width}\n", to: "large.yaml")
        let refused = try loom(["run", large, "--no-disk-cache", "--max-prompt-memory-mb", "150"], status: 1)
        #expect(refused.contains("EmptyImage: width, height, batch_size: the result needs 192 MiB"), "\(refused)")
    }
}
