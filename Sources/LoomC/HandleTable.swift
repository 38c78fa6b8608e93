import CLoom
import Synchronization

/// The objects behind C handles. A handle is a number never given out twice (not an address), so a handle that
/// was freed, or never made, or made for another kind of object, is refused rather than followed.
final class HandleTable<Object: AnyObject & Sendable>: Sendable {
    private let objects = Mutex<[UInt: Object]>([:])
    private let kind: String

    init(kind: String) {
        self.kind = kind
    }

    func insert(_ object: Object) -> OpaquePointer {
        let number = HandleNumbers.next()
        objects.withLock { $0[number] = object }
        return OpaquePointer(bitPattern: number)!
    }

    /// The object, kept alive by the caller for as long as it uses it, even if another thread frees the handle.
    func object(_ handle: OpaquePointer?) throws(LoomFailure) -> Object {
        guard let handle else { throw .invalidArgument("the \(kind) is NULL") }
        guard let object = objects.withLock({ $0[UInt(bitPattern: handle)] }) else { throw unknown(handle) }
        return object
    }

    func remove(_ handle: OpaquePointer) throws(LoomFailure) -> Object {
        guard let object = objects.withLock({ $0.removeValue(forKey: UInt(bitPattern: handle)) }) else {
            throw unknown(handle)
        }
        return object
    }

    private func unknown(_ handle: OpaquePointer) -> LoomFailure {
        LoomFailure(
            LOOM_ERROR_INVALID_HANDLE,
            "\(handle) is not a live \(kind): it was already released, or is not a \(kind) Loom made")
    }
}

/// Handle numbers shared by every table: aligned like pointers, far from zero, never reused.
private enum HandleNumbers {
    static let counter = Atomic<UInt>(0)

    static func next() -> UInt {
        (counter.add(1, ordering: .relaxed).newValue + 0x1000) << 4
    }
}
