import CLoom
import Loom

/// Why a C call failed: its status, a readable message and, where ComfyUI has one, its JSON.
struct LoomFailure: Error, Sendable {
    var code: UInt32
    var message: String
    var json: String?

    init(_ status: loom_status, _ message: String, json: JSONValue? = nil) {
        self.code = status.rawValue
        self.message = message
        self.json = json?.jsonText(indent: nil)
    }

    var status: loom_status { loom_status(rawValue: code) }

    static func invalidArgument(_ message: String) -> LoomFailure { LoomFailure(LOOM_ERROR_INVALID_ARGUMENT, message) }

    /// A required pointer argument, or a failure naming it.
    static func required<Pointer>(_ pointer: Pointer?, _ name: String) throws(LoomFailure) -> Pointer {
        guard let pointer else { throw invalidArgument("\(name) is NULL") }
        return pointer
    }

    /// A UTF-8 C string argument.
    static func string(_ pointer: UnsafePointer<CChar>?, _ name: String) throws(LoomFailure) -> String {
        String(cString: try required(pointer, name))
    }

    /// A validation error as ComfyUI reports it to `POST /prompt`.
    init(validation error: PromptValidationError) {
        self.init(LOOM_ERROR_VALIDATION, error.description, json: error.json)
    }
}
