import LoomGraph
import LoomModels

extension Resources {
    /// The device the engine gave the nodes, or the process's default one.
    public var computeDevice: ComputeDevice { self.get(ComputeDevice.self) ?? .processDefault }
}
