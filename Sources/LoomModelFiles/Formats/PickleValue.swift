/// The values a state-dict pickle can build. Lists and dicts are classes because pickle mutates them
/// after memoising them (SETITEMS on a dict that is also in the memo). Memoised containers can be filled after
/// they were placed in another, so nesting depth cannot be bounded as values are built; instead containers free
/// their contents iteratively (`PickleContainer.release`), and a chain of any length is freed without recursion.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer wider than 64 bits, as little-endian two's-complement bytes (the legacy magic number).
    case bigInteger([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(PickleTuple)
    case list(PickleList)
    case dict(PickleDict)
    case global(PickleGlobal)
    case storage(StorageReference)
    case tensor(TensorReference)
    /// An instance of a TorchScript class (`__torch__.…`): never constructed, only its pickled state kept.
    case object(PickleObject)

    var typeName: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int, .bigInteger: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .tuple: "tuple"
        case .list: "list"
        case .dict: "dict"
        case .global(let global): "\(global)"
        case .storage: "storage"
        case .tensor: "tensor"
        case .object(let object): "\(object.className) object"
        }
    }
}

/// Lists, dicts and tuples. A chain of them of any length is freed without recursion (see `release`).
class PickleContainer {
    /// Empties the container, handing over what it held.
    fileprivate func takeChildren() -> [PickleValue] { [] }

    /// Drops `values`. A container that only this walk still references gives up its contents to the walk
    /// before it is freed, so no deinitializer ever frees something nested. Containers are handled as class
    /// references, never through a copy of the enum, so that a uniqueness check sees every owner.
    static func release(_ values: inout [PickleValue]) {
        var containers = values.compactMap(\.container)
        values = []
        while var container = containers.popLast() {
            guard isKnownUniquelyReferenced(&container) else { continue }
            var children = container.takeChildren()
            containers += children.compactMap(\.container)
            children = []
        }
    }
}

final class PickleTuple: PickleContainer {
    private(set) var items: [PickleValue]
    init(_ items: [PickleValue]) {
        self.items = items
    }
    deinit { Self.release(&items) }
    override fileprivate func takeChildren() -> [PickleValue] { defer { items = [] }; return items }
}

final class PickleList: PickleContainer {
    private(set) var items: [PickleValue] = []
    func append(_ value: PickleValue) {
        items.append(value)
    }
    deinit { Self.release(&items) }
    override fileprivate func takeChildren() -> [PickleValue] { defer { items = [] }; return items }
}

final class PickleDict: PickleContainer {
    private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    func set(_ key: PickleValue, _ value: PickleValue) {
        entries.append((key, value))
    }
    deinit {
        var children = takeChildren()
        Self.release(&children)
    }
    override fileprivate func takeChildren() -> [PickleValue] {
        defer { entries = [] }
        return entries.flatMap { [$0.key, $0.value] }
    }
}

/// A TorchScript object as a record: its class name and the state BUILD gave it (a module's attribute dict, or
/// what its `__getstate__` returned).
final class PickleObject: PickleContainer {
    let className: String
    private(set) var state: PickleValue = .none
    private var built = false

    init(className: String) {
        self.className = className
    }

    /// Sets the state once; false when it was already set.
    func setState(_ value: PickleValue) -> Bool {
        guard !built else { return false }
        built = true
        state = value
        return true
    }

    deinit {
        var children = takeChildren()
        Self.release(&children)
    }
    override fileprivate func takeChildren() -> [PickleValue] { defer { state = .none }; return [state] }
}

extension PickleValue {
    var container: PickleContainer? {
        switch self {
        case .tuple(let tuple): tuple
        case .list(let list): list
        case .dict(let dict): dict
        case .object(let object): object
        default: nil
        }
    }
}

/// The only Python globals a state dict needs; the unpickler refuses every other name.
enum PickleGlobal: CustomStringConvertible {
    case orderedDict
    /// `_rebuild_tensor_v2` (and v1): the element type is the storage's.
    case rebuildTensor
    /// `_rebuild_tensor_v3`, used for types without a typed storage (FP8): the element type is an argument.
    case rebuildTensorWithType
    case rebuildParameter
    /// A typed storage class; `torch.storage.UntypedStorage` is one of bytes.
    case storageType(TensorDataType)
    /// A `torch.dtype` such as `torch.float8_e4m3fn`.
    case dataType(TensorDataType)
    /// A TorchScript class (`__torch__.…`, module types included), by its qualified name; instances are records.
    case scriptClass(String)
    /// `torch.jit._pickle.build_intlist` and its kin: TorchScript's typed lists, built from a plain list.
    case listBuilder(String)
    /// `torch.jit._pickle.restore_type_tag(value, type)`: the value, its static type being irrelevant here.
    case typeTag

    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"): self = .rebuildTensor
        case ("torch._utils", "_rebuild_tensor_v3"): self = .rebuildTensorWithType
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch.storage", "UntypedStorage"): self = .storageType(.uint8)
        case ("torch", let name):
            if let dataType = Self.storageTypes[name] {
                self = .storageType(dataType)
            } else if let dataType = Self.dataTypes[name] {
                self = .dataType(dataType)
            } else {
                return nil
            }
        default: return nil
        }
    }

    /// The globals TorchScript archives add.
    init?(torchScriptModule module: String, name: String) {
        switch (module, name) {
        case ("torch.jit._pickle", "build_intlist"), ("torch.jit._pickle", "build_tensorlist"),
             ("torch.jit._pickle", "build_doublelist"), ("torch.jit._pickle", "build_boollist"):
            self = .listBuilder(name)
        case ("torch.jit._pickle", "restore_type_tag"): self = .typeTag
        case _ where module == "__torch__" || module.hasPrefix("__torch__."): self = .scriptClass(module + "." + name)
        default: return nil
        }
    }

    static let dataTypes: [String: TensorDataType] = [
        "float32": .float32, "float": .float32, "float64": .float64, "double": .float64,
        "float16": .float16, "half": .float16, "bfloat16": .bfloat16,
        "float8_e4m3fn": .float8E4M3, "float8_e5m2": .float8E5M2,
        "int64": .int64, "long": .int64, "int32": .int32, "int": .int32, "int16": .int16, "short": .int16,
        "int8": .int8, "uint8": .uint8, "bool": .bool, "uint16": .uint16, "uint32": .uint32, "uint64": .uint64,
    ]

    static let storageTypes: [String: TensorDataType] = [
        "FloatStorage": .float32, "DoubleStorage": .float64, "HalfStorage": .float16, "BFloat16Storage": .bfloat16,
        "LongStorage": .int64, "IntStorage": .int32, "ShortStorage": .int16, "CharStorage": .int8,
        "ByteStorage": .uint8, "BoolStorage": .bool,
        "Float8_e4m3fnStorage": .float8E4M3, "Float8_e5m2Storage": .float8E5M2,
    ]

    var description: String {
        switch self {
        case .orderedDict: "collections.OrderedDict"
        case .rebuildTensor: "torch._utils._rebuild_tensor_v2"
        case .rebuildTensorWithType: "torch._utils._rebuild_tensor_v3"
        case .rebuildParameter: "torch._utils._rebuild_parameter"
        case .storageType(let type): "torch storage of \(type.name)"
        case .dataType(let type): "torch dtype \(type.name)"
        case .scriptClass(let name): name
        case .listBuilder(let name): "torch.jit._pickle.\(name)"
        case .typeTag: "torch.jit._pickle.restore_type_tag"
        }
    }
}

/// A storage named by a persistent id: the bytes of zip entry `data/<key>`. Untyped storages
/// have type U8, their element count being their byte count. The unpickler only creates
/// references whose byte count fits in an Int.
struct StorageReference {
    let dataType: TensorDataType
    let key: String
    let elementCount: Int
    var byteCount: Int { elementCount * dataType.blockByteCount }
}

/// A tensor rebuilt from a storage: a contiguous window of `dataType` elements starting `elementOffset` elements in.
struct TensorReference {
    let storage: StorageReference
    let dataType: TensorDataType
    let elementOffset: Int
    let shape: [Int]
}
