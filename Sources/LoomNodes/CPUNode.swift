import LoomGraph

/// A node whose work is CPU-only computation on values (image and mask operations, arithmetic): it never competes
/// for the GPU or for folder state, so the scheduler may run it beside other nodes.
public protocol CPUNode: Node {}

extension CPUNode {
    public static var runsConcurrently: Bool { true }
}
