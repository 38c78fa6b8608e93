import Foundation
import LoomGraph
import LoomImaging

/// Writes a batch as numbered PNG files the way SaveImage and PreviewImage do, embedding the prompt
/// and the extra PNG info (the UI workflow) as tEXt chunks so ComfyUI can reopen the workflow.
struct ImageSaver: Sendable {
    var node: String
    var folder: StorageFolder
    /// Added to the prefix, such as PreviewImage's random `_temp_xxxxx`.
    var prefixSuffix = ""
    var compressionLevel: Int

    func save(_ images: Image, prefix: String, prompt: JSONValue?, extraPNGInfo: JSONValue?, folders: FolderPaths)
        throws(NodeError) -> JSONObject
    {
        guard (1...4).contains(images.channels) else {
            throw NodeError(node, "images: PNG holds 1 to 4 channels, these images have \(images.channels)")
        }
        let root = folders.directory(folder)
        let location: ImageSaveLocation
        do {
            location = try ImageSaveLocation(
                prefix: prefix + prefixSuffix, root: root, folderName: folder.rawValue, width: images.width,
                height: images.height)
            try FileManager.default.createDirectory(atPath: location.directory, withIntermediateDirectories: true)
        } catch let error as FileNameError {
            throw NodeError(node, "filename_prefix: \(error)")
        } catch {
            throw NodeError(node, "cannot create the folder for '\(prefix)' under \(root): \(error.localizedDescription)")
        }
        let chunks = textChunks(prompt: prompt, extraPNGInfo: extraPNGInfo)
        var saved: [JSONValue] = []
        for batch in 0..<images.batchCount {
            let name = location.fileName(batchNumber: batch, counter: location.counter + batch)
            let path = location.directory + "/" + name
            do {
                let bytes = try RasterImage(frame: batch, of: images, textChunks: chunks)
                    .encodedPNG(compressionLevel: compressionLevel)
                try ImageFile.write(bytes, to: path)
            } catch let error as ImageFileError {
                throw NodeError(node, error.description)
            } catch {
                throw NodeError(node, "cannot encode '\(path)': \(error)")
            }
            saved.append(["filename": .string(name), "subfolder": .string(location.subfolder), "type": .string(folder.rawValue)])
        }
        return ["images": .array(saved)]
    }

    /// `prompt` and each extra PNG info entry as JSON, ASCII-only as Python's `json.dumps` writes it,
    /// which keeps tEXt's Latin-1 text lossless.
    func textChunks(prompt: JSONValue?, extraPNGInfo: JSONValue?) -> [PNGTextChunk] {
        var chunks: [PNGTextChunk] = []
        if let prompt, !prompt.isNull {
            chunks.append(PNGTextChunk(key: "prompt", text: Self.asciiJSON(prompt)))
        }
        for (key, value) in extraPNGInfo?.objectValue ?? [:] {
            chunks.append(PNGTextChunk(key: key, text: Self.asciiJSON(value)))
        }
        return chunks
    }

    /// JSON text with every non-ASCII character as a `\uXXXX` escape (surrogate pairs above U+FFFF).
    /// Outside strings JSON is ASCII already, so escaping the whole text is safe.
    static func asciiJSON(_ value: JSONValue) -> String {
        var output = ""
        for scalar in value.jsonText(indent: nil).unicodeScalars {
            if scalar.isASCII {
                output.unicodeScalars.append(scalar)
            } else {
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
            }
        }
        return output
    }
}
