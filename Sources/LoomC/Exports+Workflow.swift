import CLoom
import Foundation
import Loom

@_cdecl("loom_workflow_load_file")
public func loom_workflow_load_file(
    _ engine: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ workflow: UnsafeMutablePointer<OpaquePointer?>?
) -> loom_status {
    exported { () throws(LoomFailure) in
        let workflow = try outParameter(workflow, "workflow")
        let engine = try EngineHandle.table.object(engine).engine
        let path = try LoomFailure.string(path, "path")
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw LoomFailure(LOOM_ERROR_IO, "cannot read \(path): no such file, or not readable")
        }
        do {
            let document = try engine.load(contentsOf: URL(fileURLWithPath: path))
            workflow.pointee = WorkflowHandle.table.insert(WorkflowHandle(document, registry: engine.registry))
        } catch {
            throw LoomFailure(LOOM_ERROR_FORMAT, "\(error)")
        }
    }
}

@_cdecl("loom_workflow_load_data")
public func loom_workflow_load_data(
    _ engine: OpaquePointer?, _ data: UnsafeRawPointer?, _ size: Int, _ format: UnsafePointer<CChar>?,
    _ workflow: UnsafeMutablePointer<OpaquePointer?>?
) -> loom_status {
    exported { () throws(LoomFailure) in
        let workflow = try outParameter(workflow, "workflow")
        let engine = try EngineHandle.table.object(engine).engine
        let start = try LoomFailure.required(data, "data")
        guard size >= 0 else { throw .invalidArgument("size \(UInt(bitPattern: size)) is larger than memory") }
        let bytes = Array(UnsafeRawBufferPointer(start: start, count: size))
        let fileExtension = try format.map { pointer throws(LoomFailure) in
            let name = String(cString: pointer)
            guard ["json", "yaml", "png"].contains(name) else {
                throw .invalidArgument("format is \"\(name)\"; expected \"json\", \"yaml\", \"png\" or NULL")
            }
            return name
        }
        if fileExtension == "png", !bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
            throw LoomFailure(LOOM_ERROR_FORMAT, "the data is not a PNG (no PNG signature)")
        }
        do {
            let document = try engine.loader.load(bytes, fileExtension: fileExtension ?? "")
            workflow.pointee = WorkflowHandle.table.insert(WorkflowHandle(document, registry: engine.registry))
        } catch {
            throw LoomFailure(LOOM_ERROR_FORMAT, "\(error)")
        }
    }
}

@_cdecl("loom_workflow_set_input")
public func loom_workflow_set_input(
    _ workflow: OpaquePointer?, _ node: UnsafePointer<CChar>?, _ input: UnsafePointer<CChar>?,
    _ valueJSON: UnsafePointer<CChar>?
) -> loom_status {
    exported { () throws(LoomFailure) in
        let workflow = try WorkflowHandle.table.object(workflow)
        let node = try LoomFailure.string(node, "node_id")
        let input = try LoomFailure.string(input, "input_name")
        let text = try LoomFailure.string(valueJSON, "value_json")
        let value: JSONValue
        do {
            value = try JSONValue(parsing: text)
        } catch {
            throw .invalidArgument("the value for input \(input) of node \(node) is not JSON (\(error)): \(text)")
        }
        try workflow.setInput(node: node, input: input, to: value)
    }
}

@_cdecl("loom_workflow_to_json")
public func loom_workflow_to_json(_ workflow: OpaquePointer?, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?)
    -> loom_status
{
    exported { () throws(LoomFailure) in
        let json = try outParameter(json, "api_json")
        json.pointee = try callerString(WorkflowHandle.table.object(workflow).snapshot.prompt.json.jsonText(indent: nil))
    }
}

@_cdecl("loom_workflow_free")
public func loom_workflow_free(_ workflow: OpaquePointer?) -> loom_status {
    exported { () throws(LoomFailure) in
        guard let workflow else { return }
        _ = try WorkflowHandle.table.remove(workflow)
    }
}
