import CLoom
import Foundation
import Loom

/// Hands a run's events to the host's callback as ComfyUI messages, one at a time and in order, and keeps the
/// messages ComfyUI records in the history entry.
///
/// `@unchecked Sendable`: the callback and its user data are the host's to make thread-safe (the header says the
/// callback runs on a Loom thread); everything else is touched only under `lock`.
final class EventForwarder: @unchecked Sendable {
    private let callback: loom_event_callback?
    private let userData: UnsafeMutableRawPointer?
    private let lock = NSLock()
    private var messages: [JSONValue] = []

    init(callback: loom_event_callback?, userData: UnsafeMutableRawPointer?) {
        self.callback = callback
        self.userData = userData
    }

    var historyMessages: [JSONValue] { lock.withLock { messages } }

    func forward(_ event: ExecutionEvent) {
        let type = event.messageType
        let recorded = HistoryEntry.messageTypes.contains(type)
        guard recorded || callback != nil else { return }
        let data = event.messageData()
        lock.lock()
        defer { lock.unlock() }
        if recorded { messages.append([.string(type), .object(data)]) }
        guard let callback else { return }
        let json = JSONValue.object(["type": .string(type), "data": .object(data)]).jsonText(indent: nil)
        var preview: ProgressPreview?
        if case .preview(_, _, let image) = event { preview = image }
        let state = ThreadState.current
        state.callbackDepth += 1
        defer { state.callbackDepth -= 1 }
        type.withCString { typePointer in
            json.withCString { jsonPointer in
                (preview?.rgb ?? []).withUnsafeBufferPointer { rgb in
                    var message = loom_event(
                        type: typePointer, json: jsonPointer, json_length: json.utf8.count,
                        preview_rgb: preview == nil ? nil : rgb.baseAddress,
                        preview_width: Int32(clamping: preview?.width ?? 0),
                        preview_height: Int32(clamping: preview?.height ?? 0))
                    callback(&message, userData)
                }
            }
        }
    }
}
