/// The values a state-dict pickle can build. Lists and dicts are classes because pickle mutates them
/// after memoising them (SETITEMS on a dict that is also in the memo).
indirect enum PickleValue {
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

    /// Container nesting, bounded by the unpickler so that freeing a hostile value cannot overflow the stack.
    var depth: Int {
        switch self {
        case .tuple(let tuple): tuple.depth
        case .list(let list): list.depth
        case .dict(let dict): dict.depth
        default: 0
        }
    }

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
        }
    }
}

final class PickleTuple {
    let items: [PickleValue]
    let depth: Int
    init(_ items: [PickleValue]) {
        self.items = items
        depth = 1 + (items.map(\.depth).max() ?? 0)
    }
}

final class PickleList {
    var items: [PickleValue] = []
    var depth = 1
    func append(_ value: PickleValue) {
        items.append(value)
        depth = max(depth, value.depth + 1)
    }
}

final class PickleDict {
    var entries: [(key: PickleValue, value: PickleValue)] = []
    var depth = 1
    func set(_ key: PickleValue, _ value: PickleValue) {
        entries.append((key, value))
        depth = max(depth, key.depth + 1, value.depth + 1)
    }
}

/// The only Python globals a state dict needs; the unpickler refuses every other name.
enum PickleGlobal: CustomStringConvertible {
    case orderedDict
    case rebuildTensor
    case rebuildParameter
    case storageType(TensorDataType)

    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"): self = .rebuildTensor
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch", let storage):
            guard let dataType = Self.storageTypes[storage] else { return nil }
            self = .storageType(dataType)
        default: return nil
        }
    }

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
        case .rebuildParameter: "torch._utils._rebuild_parameter"
        case .storageType(let type): "torch storage of \(type.name)"
        }
    }
}

/// A storage named by a persistent id: the bytes of zip entry `data/<key>`.
struct StorageReference {
    let dataType: TensorDataType
    let key: String
    let elementCount: Int
}

/// A tensor built by `_rebuild_tensor_v2`: a contiguous window of a storage.
struct TensorReference {
    let storage: StorageReference
    let elementOffset: Int
    let shape: [Int]
}
