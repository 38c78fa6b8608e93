/// An ONNX model as Loom reads it: the graph's operator list (to check a file against the network Loom builds
/// for it) and its weights. Nothing in the graph is executed; a network written in Loom's own code takes the
/// weights. Tensors are the graph's initializers and the values of its `Constant` nodes (under the constant's
/// output name), in file order, their bytes left in the memory map.
public struct ONNXModel: Sendable {
    /// One operator application: which operator, the value names it reads and writes, its attributes.
    public struct Node: Sendable {
        public let opType: String
        /// "" for the standard operator set.
        public let domain: String
        public let name: String
        public let inputs: [String]
        public let outputs: [String]
        public let attributes: [String: Attribute]

        public func int(_ name: String) -> Int? {
            if case .int(let value)? = attributes[name] { return value }
            return nil
        }

        public func ints(_ name: String) -> [Int]? {
            if case .ints(let values)? = attributes[name] { return values }
            return nil
        }

        public func float(_ name: String) -> Float? {
            if case .float(let value)? = attributes[name] { return value }
            return nil
        }
    }

    public enum Attribute: Sendable, Equatable {
        case int(Int)
        case float(Float)
        case ints([Int])
        case floats([Float])
        case string(String)
        /// A tensor-valued attribute (a `Constant`'s value), stored among the weights under this name.
        case tensor(String)
        /// Kinds Loom never needs (graphs, sparse tensors, type protos), by their ONNX type number.
        case unread(Int)
    }

    public let path: String
    /// The default operator set's version.
    public let opsetVersion: Int
    public let producer: String
    public let nodes: [Node]
    /// The graph's inputs that are not initializers, and its outputs.
    public let inputs: [String]
    public let outputs: [String]
    public let weights: ModelFile

    public init(path: String, opsetVersion: Int, producer: String, nodes: [Node], inputs: [String], outputs: [String], weights: ModelFile) {
        self.path = path
        self.opsetVersion = opsetVersion
        self.producer = producer
        self.nodes = nodes
        self.inputs = inputs
        self.outputs = outputs
        self.weights = weights
    }

    /// Opens an `.onnx` file (the protobuf `ModelProto`); see `ONNXReader`.
    public static func open(path: String) throws(ModelFileError) -> ONNXModel {
        try ONNXReader.read(MappedFile(path: path))
    }

    /// How many nodes use each operator.
    public var operatorCounts: [String: Int] {
        nodes.reduce(into: [:]) { $0[$1.domain.isEmpty ? $1.opType : $1.domain + "." + $1.opType, default: 0] += 1 }
    }

    /// The stored tensor a value name stands for: an initializer or constant, seen through `Identity` nodes
    /// (exporters deduplicate equal weights that way).
    public func tensor(_ value: String) -> StoredTensor? {
        var name = value
        for _ in 0..<16 {
            if let tensor = weights[name] { return tensor }
            guard let identity = nodes.first(where: { $0.opType == "Identity" && $0.outputs.first == name }), let source = identity.inputs.first else {
                return nil
            }
            name = source
        }
        return nil
    }
}
