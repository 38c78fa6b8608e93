import CLoom
import Foundation

private let version: StaticString = "0.1.0"
private let noError: StaticString = ""

private func cString(_ text: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("loom_version")
public func loom_version() -> UnsafePointer<CChar> {
    cString(version)
}

@_cdecl("loom_last_error")
public func loom_last_error() -> UnsafePointer<CChar> {
    ThreadState.current.message.map { UnsafePointer($0) } ?? cString(noError)
}

@_cdecl("loom_last_error_json")
public func loom_last_error_json() -> UnsafePointer<CChar>? {
    ThreadState.current.json.map { UnsafePointer($0) }
}

@_cdecl("loom_free")
public func loom_free(_ pointer: UnsafeMutableRawPointer?) {
    free(pointer)
}
