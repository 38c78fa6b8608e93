import Synchronization

/// Services the layers above the graph hand to nodes — folders, devices, model stores — looked up by type,
/// so the graph engine carries them without knowing what they are.
public final class Resources: Sendable {
    private let storage = Mutex<[ObjectIdentifier: any Sendable]>([:])

    public init() {}

    public func set<T: Sendable>(_ value: T) {
        storage.withLock { $0[ObjectIdentifier(T.self)] = value }
    }

    public func get<T: Sendable>(_ type: T.Type = T.self) -> T? {
        storage.withLock { $0[ObjectIdentifier(T.self)] as? T }
    }
}

/// Lists the files a combo input offers, such as the images in the input folder or the models in `checkpoints`.
public protocol FileCatalog: Sendable {
    func files(in folder: String) -> [String]
    /// Where `folder` was looked for, for messages about missing files.
    func searchedLocations(for folder: String) -> [String]
}
