import Foundation
import LoomImaging

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
        if bytes.starts(with: Self.pngSignature) {
            return try loadPNG(bytes)
        }
        // Workflows are text; say what other files are instead of showing their bytes in a parser's error.
        if let kind = ImageFile.imageKind(of: bytes) {
            throw WorkflowFormatError("this is \(kind), not a workflow; Loom reads API or UI JSON, YAML, and PNG images that embed a workflow")
        }
        guard !bytes.contains(0), String(validating: bytes, as: UTF8.self) != nil else {
            throw WorkflowFormatError("this is binary data, not a workflow; Loom reads API or UI JSON, YAML, and PNG images that embed a workflow")
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
        // A request body wraps the prompt; an API prompt may itself have a node called "prompt".
        if let wrapped = json["prompt"]?.objectValue, wrapped["class_type"] == nil {
            let request = try PromptRequest(json: json)
            var document = WorkflowDocument(
                prompt: request.prompt, format: .api, uiWorkflow: request.extraData["extra_pnginfo"]?["workflow"],
                extraData: request.extraData)
            document.partialExecutionTargets = request.partialExecutionTargets
            return document
        }
        return WorkflowDocument(prompt: try Prompt(json: json), format: .api)
    }

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The workflow ComfyUI (or Loom) embedded in a PNG: the exact prompt that ran, and the UI workflow beside it.
    /// libpng reads the text chunks (tEXt, zTXt and iTXt all count, a damaged file is reported as such); the
    /// pixels are never decoded, so a picture of any size is read at once.
    private func loadPNG(_ bytes: [UInt8]) throws -> WorkflowDocument {
        let chunks: [PNGTextChunk]
        do {
            chunks = try RasterImage.textChunks(ofPNG: bytes)
        } catch {
            throw WorkflowFormatError("cannot read the PNG: \(error)")
        }
        func text(_ key: String) -> String? { chunks.first { $0.key == key }?.text }
        let workflow = try text("workflow").map { try JSONValue(parsing: $0) }
        if let promptText = text("prompt") {
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
