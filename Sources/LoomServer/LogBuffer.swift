import Foundation
import Logging
import Loom
import Synchronization

/// The server's recent log lines, as ComfyUI keeps them for the frontend's log panel (`app/logger.py`): the
/// last `capacity` entries `{t, m}`, and the clients subscribed to new ones over the WebSocket.
public final class LogBuffer: Sendable {
    public struct Entry: Sendable, Equatable {
        /// The local time, ISO 8601 without a zone, as Python's `datetime.now().isoformat()` writes it.
        public var time: String
        public var message: String

        var json: JSONValue { ["t": .string(time), "m": .string(message)] }
    }

    private struct State {
        var entries: [Entry] = []
        var subscribers: Set<String> = []
    }

    private let capacity: Int
    private let state = Mutex(State())
    private let publish: @Sendable (_ entries: [Entry], _ subscribers: Set<String>) -> Void

    /// `publish` sends new entries to the subscribed clients.
    init(capacity: Int = 300, publish: @escaping @Sendable (_ entries: [Entry], _ subscribers: Set<String>) -> Void) {
        self.capacity = capacity
        self.publish = publish
    }

    public var entries: [Entry] { state.withLock { $0.entries } }

    func append(_ message: String, at date: Date = Date()) {
        let entry = Entry(time: Self.isoFormat(date), message: message.hasSuffix("\n") ? message : message + "\n")
        let subscribers = state.withLock { state in
            state.entries.append(entry)
            if state.entries.count > capacity { state.entries.removeFirst(state.entries.count - capacity) }
            return state.subscribers
        }
        if !subscribers.isEmpty { publish([entry], subscribers) }
    }

    func subscribe(_ clientID: String, enabled: Bool) {
        state.withLock { state in
            if enabled { state.subscribers.insert(clientID) } else { state.subscribers.remove(clientID) }
        }
    }

    private static func isoFormat(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .current
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: date)
        let micros = (parts.nanosecond ?? 0) / 1000
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0,
            parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0, micros)
    }

    /// A swift-log handler that records into the buffer what the server logs.
    struct Handler: LogHandler {
        let buffer: LogBuffer
        var logLevel: Logger.Level
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(
            level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
            function: String, line: UInt
        ) {
            buffer.append(message.description)
        }
    }
}
