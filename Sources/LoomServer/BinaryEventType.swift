/// The event types of ComfyUI's binary WebSocket frames (its `protocol.py` `BinaryEventTypes`). A frame is the
/// big-endian event type, then the event's payload.
enum BinaryEventType: UInt32 {
    case previewImage = 1
    case text = 3
    case previewImageWithMetadata = 4

    func frame(_ payload: [UInt8]) -> [UInt8] { Self.bigEndian(rawValue) + payload }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}
