import Foundation

/// The folders `GET /view` reads and `POST /upload/image` writes, by ComfyUI's `type`: "input", "output", "temp".
/// `ServerDirectories` answers from the server's own flags; a node library's folder registry can answer instead
/// so nodes and the server agree on where images live.
public protocol ImageFolders: Sendable {
    func directory(forType type: String) -> URL?
}
