import Foundation

/// A workflow file in any format Loom reads, with what it takes to run it.
public struct WorkflowDocument: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case api, ui, yaml, png
    }

    public var prompt: Prompt
    public var format: Format
    /// The UI workflow it came from, embedded in saved images as ComfyUI does.
    public var uiWorkflow: JSONValue?
    public var extraData: JSONObject
    public var partialExecutionTargets: [String]?

    public init(prompt: Prompt, format: Format, uiWorkflow: JSONValue? = nil, extraData: JSONObject = [:]) {
        self.prompt = prompt
        self.format = format
        self.uiWorkflow = uiWorkflow
        self.extraData = extraData
    }

    /// `extra_data` for the run: the UI workflow goes under `extra_pnginfo.workflow`.
    public var runExtraData: JSONObject {
        var data = extraData
        if let uiWorkflow, data["extra_pnginfo"] == nil { data["extra_pnginfo"] = ["workflow": uiWorkflow] }
        return data
    }
}

/// Reads workflow files, telling the formats apart by content rather than by name where it can.
public struct WorkflowLoader: Sendable {
    public var registry: NodeRegistry

    public init(registry: NodeRegistry) {
        self.registry = registry
    }

    public func load(contentsOf url: URL) throws -> WorkflowDocument {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw WorkflowFormatError("cannot read \(url.path): \(error.localizedDescription)")
        }
        do {
            return try load(Array(data), fileExtension: url.pathExtension.lowercased())
        } catch let error as WorkflowFormatError {
            throw WorkflowFormatError("\(url.lastPathComponent): \(error.message)")
        }
    }

    public func load(_ bytes: [UInt8], fileExtension: String = "") throws -> WorkflowDocument {
        if bytes.starts(with: PNGTextChunks.signature) {
            return try loadPNG(bytes)
        }
        if fileExtension == "yaml" || fileExtension == "yml" {
            let text = String(decoding: bytes, as: UTF8.self)
            return WorkflowDocument(prompt: try YAMLWorkflowFormat(registry: registry).prompt(fromYAML: text), format: .yaml)
        }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes)
        } catch {
            guard fileExtension != "json" else { throw WorkflowFormatError("\(error)") }
            let text = String(decoding: bytes, as: UTF8.self)
            return WorkflowDocument(prompt: try YAMLWorkflowFormat(registry: registry).prompt(fromYAML: text), format: .yaml)
        }
        return try load(json: json)
    }

    /// An API prompt, a `POST /prompt` body, or a UI workflow.
    public func load(json: JSONValue) throws(WorkflowFormatError) -> WorkflowDocument {
        if UIWorkflow.isUIWorkflow(json) {
            let workflow = try UIWorkflow(json: json)
            let prompt = try UIWorkflowConverter(registry: registry).prompt(from: workflow)
            return WorkflowDocument(prompt: prompt, format: .ui, uiWorkflow: json)
        }
        if json["prompt"]?.objectValue != nil {
            let request = try PromptRequest(json: json)
            var document = WorkflowDocument(
                prompt: request.prompt, format: .api, uiWorkflow: request.extraData["extra_pnginfo"]?["workflow"],
                extraData: request.extraData)
            document.partialExecutionTargets = request.partialExecutionTargets
            return document
        }
        return WorkflowDocument(prompt: try Prompt(json: json), format: .api)
    }

    /// The workflow ComfyUI (or Loom) embedded in a PNG: the exact prompt that ran, and the UI workflow beside it.
    private func loadPNG(_ bytes: [UInt8]) throws -> WorkflowDocument {
        let chunks = try PNGTextChunks(bytes)
        let workflow = try chunks["workflow"].map { try JSONValue(parsing: $0) }
        if let promptText = chunks["prompt"] {
            return WorkflowDocument(prompt: try Prompt(json: JSONValue(parsing: promptText)), format: .png, uiWorkflow: workflow)
        }
        if let workflow {
            var document = try load(json: workflow)
            document.format = .png
            return document
        }
        throw WorkflowFormatError("the PNG has no embedded workflow (no 'prompt' or 'workflow' text chunk)")
    }
}

/// The text chunks of a PNG file. Only the chunk structure is read; no pixels are decoded.
struct PNGTextChunks {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    private(set) var texts: [String: String] = [:]

    subscript(keyword: String) -> String? { texts[keyword] }

    init(_ bytes: [UInt8]) throws(WorkflowFormatError) {
        var offset = Self.signature.count
        while offset + 12 <= bytes.count {
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
            let start = offset + 8
            guard length >= 0, start + length + 4 <= bytes.count else {
                throw WorkflowFormatError("the PNG is truncated: chunk '\(type)' runs past the end of the file")
            }
            let data = bytes[start..<start + length]
            switch type {
            case "tEXt":
                if let zero = data.firstIndex(of: 0) {
                    // tEXt is Latin-1; ComfyUI writes JSON that Python escapes to ASCII, but be exact anyway.
                    let keyword = String(decoding: data[data.startIndex..<zero], as: UTF8.self)
                    texts[keyword] = String(data[(zero + 1)...].map { Character(Unicode.Scalar($0)) })
                }
            case "iTXt":
                try readInternationalText(data)
            case "IEND":
                return
            default:
                break
            }
            offset = start + length + 4
        }
        throw WorkflowFormatError("the PNG is truncated: no IEND chunk")
    }

    private mutating func readInternationalText(_ data: ArraySlice<UInt8>) throws(WorkflowFormatError) {
        let fields = data.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
        guard fields.count == 2, fields[1].count >= 2 else { return }
        let keyword = String(decoding: fields[0], as: UTF8.self)
        let rest = fields[1]
        guard rest[rest.startIndex] == 0 else {
            throw WorkflowFormatError("the '\(keyword)' text chunk is compressed, which Loom cannot read yet")
        }
        // Skip the compression method, language tag and translated keyword.
        let afterFlags = rest.dropFirst(2)
        let parts = afterFlags.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return }
        texts[keyword] = String(decoding: parts[2], as: UTF8.self)
    }
}
