/// ComfyUI's TEXT binary frame (`send_progress_text`): event type 3, the big-endian byte length of the node id,
/// the node id, then the text, all UTF-8. The frontend shows the text on the node's face.
struct ProgressTextFrame {
    let bytes: [UInt8]

    /// Nil for a node id too long to count in 32 bits, which no prompt has.
    init?(node: String, text: String) {
        let id = Array(node.utf8)
        guard let length = UInt32(exactly: id.count) else { return nil }
        bytes = BinaryEventType.text.frame(BinaryEventType.bigEndian(length) + id + Array(text.utf8))
    }
}
