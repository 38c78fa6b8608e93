import Foundation

/// ComfyUI's folder layout: `input`, `output`, `temp`, `user` and `models` under a base directory, each of the
/// first four replaceable by its own flag.
public struct ServerDirectories: Sendable {
    public var base: URL
    public var input: URL
    public var output: URL
    public var temp: URL
    public var user: URL

    public init(base: URL, input: URL? = nil, output: URL? = nil, temp: URL? = nil, user: URL? = nil) {
        self.base = base
        self.input = input ?? base.appendingPathComponent("input", isDirectory: true)
        self.output = output ?? base.appendingPathComponent("output", isDirectory: true)
        self.temp = temp ?? base.appendingPathComponent("temp", isDirectory: true)
        self.user = user ?? base.appendingPathComponent("user", isDirectory: true)
    }

    public var models: URL { base.appendingPathComponent("models", isDirectory: true) }

    /// Where the queue and history persist between runs of the server.
    public var queueState: URL {
        user.appendingPathComponent("loom", isDirectory: true).appendingPathComponent("queue", isDirectory: true)
    }

    func createAll() throws(ServerSetupError) {
        for folder in [input, output, temp, user] {
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw ServerSetupError("cannot create the folder \(folder.path): \(error.localizedDescription)")
            }
        }
    }
}

extension ServerDirectories: ImageFolders {
    public func directory(forType type: String) -> URL? {
        switch type {
        case "input": input
        case "output": output
        case "temp": temp
        default: nil
        }
    }
}
