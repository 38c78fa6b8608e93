import Synchronization

/// Device time per shader variant, summed over every recorder of a context while on, and the host time callers spent
/// creating each variant's pipelines (the driver compiling shaders: over 0.2 s for the largest texel kernels on
/// lavapipe) as entries of their own: what `--profile` breaks a run down by.
/// Off, recorders time nothing.
public final class DispatchProfile: Sendable {
    /// One shader variant's share of the profiled work.
    public struct Entry: Sendable {
        public enum Kind: Sendable { case shader, pipelineCreation }
        public let name: String
        public let seconds: Double
        /// Dispatches of a shader; pipelines made, for pipeline creation.
        public let dispatches: Int
        public var kind: Kind { name.hasPrefix(DispatchProfile.pipelineCreation) ? .pipelineCreation : .shader }
    }

    static let pipelineCreation = "(creating) "

    private struct State {
        var isOn = false
        var seconds: [String: Double] = [:]
        var dispatches: [String: Int] = [:]
    }

    private let state = Mutex(State())

    public var isOn: Bool { state.withLock { $0.isOn } }

    /// Clears the totals and starts timing recorders made from now on.
    public func start() {
        state.withLock { $0 = State(isOn: true) }
    }

    /// Stops timing and returns the totals, longest first.
    public func stop() -> [Entry] {
        state.withLock { state in
            state.isOn = false
            return state.seconds.map { Entry(name: $0.key, seconds: $0.value, dispatches: state.dispatches[$0.key] ?? 0) }
                .sorted { $0.seconds > $1.seconds }
        }
    }

    func addPipelineCreation(of variant: ShaderVariant, seconds: Double) {
        add([OperationTiming(name: Self.pipelineCreation + variant.name, seconds: seconds)])
    }

    func add(_ timings: [OperationTiming]) {
        state.withLock { state in
            guard state.isOn else { return }
            for timing in timings {
                state.seconds[timing.name, default: 0] += timing.seconds
                state.dispatches[timing.name, default: 0] += 1
            }
        }
    }
}
