import CLoom
import Foundation

@_cdecl("loom_result_history_json")
public func loom_result_history_json(
    _ result: OpaquePointer?, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> loom_status {
    exported { () throws(LoomFailure) in
        let json = try outParameter(json, "history_json")
        json.pointee = try callerString(ResultHandle.table.object(result).history)
    }
}

@_cdecl("loom_result_image_count")
public func loom_result_image_count(_ result: OpaquePointer?, _ count: UnsafeMutablePointer<Int>?) -> loom_status {
    exported { () throws(LoomFailure) in
        let count = try LoomFailure.required(count, "count")
        count.pointee = try ResultHandle.table.object(result).images.count
    }
}

@_cdecl("loom_result_image_info")
public func loom_result_image_info(
    _ result: OpaquePointer?, _ index: Int, _ info: UnsafeMutablePointer<loom_image_info>?
) -> loom_status {
    exported { () throws(LoomFailure) in
        let info = try LoomFailure.required(info, "info")
        let image = try ResultHandle.table.object(result).image(index)
        info.pointee = loom_image_info(
            node_id: UnsafePointer(image.nodeID.pointer), input_name: UnsafePointer(image.inputName.pointer),
            batch_index: Int32(clamping: image.batchIndex), width: Int32(clamping: image.width),
            height: Int32(clamping: image.height), channels: Int32(clamping: image.channels))
    }
}

@_cdecl("loom_result_read_image")
public func loom_result_read_image(
    _ result: OpaquePointer?, _ index: Int, _ format: loom_pixel_format, _ buffer: UnsafeMutableRawPointer?,
    _ bufferSize: Int
) -> loom_status {
    exported { () throws(LoomFailure) in
        let image = try ResultHandle.table.object(result).image(index)
        let asBytes: Bool
        switch format {
        case LOOM_PIXELS_UINT8: asBytes = true
        case LOOM_PIXELS_FLOAT32: asBytes = false
        default:
            throw .invalidArgument("format is \(format.rawValue); expected LOOM_PIXELS_UINT8 or LOOM_PIXELS_FLOAT32")
        }
        let buffer = try LoomFailure.required(buffer, "buffer")
        let needed = image.sampleCount * (asBytes ? 1 : MemoryLayout<Float>.size)
        guard bufferSize >= needed else {
            throw LoomFailure(
                LOOM_ERROR_BUFFER_TOO_SMALL,
                "image \(index) needs \(needed) bytes (\(image.width)×\(image.height)×\(image.channels)); the buffer has \(bufferSize)")
        }
        image.write(into: buffer, asBytes: asBytes)
    }
}

@_cdecl("loom_result_free")
public func loom_result_free(_ result: OpaquePointer?) -> loom_status {
    exported { () throws(LoomFailure) in
        guard let result else { return }
        _ = try ResultHandle.table.remove(result)
    }
}
