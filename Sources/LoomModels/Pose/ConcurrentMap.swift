import Dispatch
import Foundation

/// `(0..<count).map(transform)` with the iterations spread over the CPU cores; results keep their order.
func concurrentMap<Element: Sendable>(_ count: Int, _ transform: @Sendable (Int) -> Element) -> [Element] {
    let slots = Slots<Element>(count: count)
    DispatchQueue.concurrentPerform(iterations: count) { index in
        slots.set(index, transform(index))
    }
    return slots.values
}

/// `@unchecked Sendable`: the slots are only touched under `lock`.
private final class Slots<Element>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Element?]

    init(count: Int) {
        storage = [Element?](repeating: nil, count: count)
    }

    func set(_ index: Int, _ value: Element) {
        lock.lock()
        storage[index] = value
        lock.unlock()
    }

    var values: [Element] {
        lock.lock()
        defer { lock.unlock() }
        return storage.map { $0! }
    }
}
