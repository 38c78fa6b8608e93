import LoomGraph

/// Every node class Loom ships, registered under ComfyUI's class names.
public enum NodeLibrary {
    public static let nodeTypes: [any Node.Type] = [
        PrimitiveInt.self,
        PrimitiveFloat.self,
        PrimitiveString.self,
        PrimitiveStringMultiline.self,
        PrimitiveBoolean.self,
        StringConcatenate.self,
        PreviewAny.self,
    ]

    public static var registry: NodeRegistry { NodeRegistry(nodeTypes) }

    /// The output types the on-disk cache can store, beyond the graph layer's numbers, strings and JSON.
    public static var diskCacheCodecs: DiskCacheCodecs { DiskCacheCodecs() }
}
