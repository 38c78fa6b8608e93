/// Runs the subset of the pickle machine (protocols 2–5) that `torch.save` uses for state dicts, and
/// `torch.jit.save` for TorchScript modules. It never imports or calls anything: globals outside `PickleGlobal`
/// are refused by name, and the only "calls" are building dicts, lists, inert script-class records and tensor
/// references.
struct RestrictedUnpickler {
    private var cursor: ByteCursor
    /// Whether TorchScript's globals (`__torch__.*` classes, `torch.jit._pickle` list builders) are accepted.
    private let acceptsScriptObjects: Bool
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    /// Every storage a persistent id named, by key; legacy files need their types to find the data.
    private(set) var storages: [String: StorageReference] = [:]

    /// Reads the pickle starting at `offset` of `bytes`; `context` names it in messages.
    init(_ bytes: UnsafeRawBufferPointer, path: String, context: String, offset: Int = 0, acceptsScriptObjects: Bool = false) {
        cursor = ByteCursor(bytes, path: path, context: context, offset: offset)
        self.acceptsScriptObjects = acceptsScriptObjects
    }

    /// Where the pickle ended, once `load` has returned.
    var offset: Int { cursor.offset }

    private func corrupt(_ message: String) -> ModelFileError { cursor.corrupt(message) }

    mutating func load() throws(ModelFileError) -> PickleValue {
        while true {
            let opcode = try cursor.read(UInt8.self, "an opcode")
            switch opcode {
            case 0x80: _ = try cursor.read(UInt8.self, "the protocol")  // PROTO
            case 0x95: _ = try cursor.read(UInt64.self, "a frame length")  // FRAME: framing is only a read hint
            case UInt8(ascii: "."):  // STOP
                guard let result = stack.popLast() else { throw corrupt("STOP with an empty stack") }
                return result
            case UInt8(ascii: "("): marks.append(stack.count)  // MARK
            case UInt8(ascii: "}"): stack.append(.dict(PickleDict()))
            case UInt8(ascii: "]"): stack.append(.list(PickleList()))
            case UInt8(ascii: ")"): stack.append(.tuple(PickleTuple([])))
            case UInt8(ascii: "t"): stack.append(.tuple(PickleTuple(try popMark())))
            case 0x85, 0x86, 0x87:  // TUPLE1–3
                let count = Int(opcode - 0x84)
                guard stack.count >= count else { throw corrupt("TUPLE\(count) needs \(count) values") }
                let items = Array(stack.suffix(count))
                stack.removeLast(count)
                stack.append(.tuple(PickleTuple(items)))
            case UInt8(ascii: "N"): stack.append(.none)
            case 0x88: stack.append(.bool(true))
            case 0x89: stack.append(.bool(false))
            case UInt8(ascii: "J"): stack.append(.int(Int(try cursor.read(Int32.self, "an int"))))
            case UInt8(ascii: "K"): stack.append(.int(Int(try cursor.read(UInt8.self, "an int"))))
            case UInt8(ascii: "M"): stack.append(.int(Int(try cursor.read(UInt16.self, "an int"))))
            case 0x8A: stack.append(try readLong())  // LONG1
            case UInt8(ascii: "G"):  // BINFLOAT is big-endian
                stack.append(.float(Double(bitPattern: UInt64(bigEndian: UInt64(littleEndian: try cursor.read(UInt64.self, "a float"))))))
            case UInt8(ascii: "X"): stack.append(.string(try readString(length: Int(try cursor.read(UInt32.self, "a length")))))
            case 0x8C: stack.append(.string(try readString(length: Int(try cursor.read(UInt8.self, "a length")))))
            case 0x8D:
                let length = try cursor.read(UInt64.self, "a length")
                guard length <= UInt64(cursor.remaining) else { throw cursor.truncated("a string") }
                stack.append(.string(try readString(length: Int(length))))
            case UInt8(ascii: "T"):
                let length = try cursor.read(Int32.self, "a length")
                guard length >= 0 else { throw corrupt("negative string length") }
                stack.append(.string(try readString(length: Int(length))))
            case UInt8(ascii: "U"): stack.append(.string(try readString(length: Int(try cursor.read(UInt8.self, "a length")))))
            case UInt8(ascii: "B"): stack.append(.bytes(Array(try cursor.readBytes(Int(try cursor.read(UInt32.self, "a length")), "bytes"))))
            case UInt8(ascii: "C"): stack.append(.bytes(Array(try cursor.readBytes(Int(try cursor.read(UInt8.self, "a length")), "bytes"))))
            case UInt8(ascii: "q"): memo[Int(try cursor.read(UInt8.self, "a memo index"))] = try top()
            case UInt8(ascii: "r"): memo[Int(try cursor.read(UInt32.self, "a memo index"))] = try top()
            case 0x94: memo[memo.count] = try top()  // MEMOIZE
            case UInt8(ascii: "h"): try pushMemo(Int(try cursor.read(UInt8.self, "a memo index")))
            case UInt8(ascii: "j"): try pushMemo(Int(try cursor.read(UInt32.self, "a memo index")))
            case UInt8(ascii: "c"):  // GLOBAL: "module\nname\n"
                let module = try readLine()
                let name = try readLine()
                stack.append(.global(try resolve(module: module, name: name)))
            case 0x93:  // STACK_GLOBAL
                guard case .string(let name)? = stack.popLast(), case .string(let module)? = stack.popLast() else {
                    throw corrupt("STACK_GLOBAL needs a module and a name")
                }
                stack.append(.global(try resolve(module: module, name: name)))
            case UInt8(ascii: "R"):  // REDUCE
                guard case .tuple(let arguments)? = stack.popLast(), case .global(let callable)? = stack.popLast() else {
                    throw corrupt("REDUCE needs a callable and an argument tuple")
                }
                stack.append(try call(callable, arguments.items))
            case UInt8(ascii: "b"):  // BUILD: script objects keep their state; OrderedDict attributes (`_metadata`) and tensor state are not needed
                guard stack.count >= 2 else { throw corrupt("BUILD needs an object and its state") }
                let state = stack.removeLast()
                switch stack[stack.count - 1] {
                case .dict, .tensor: break
                case .object(let object):
                    guard object.setState(state) else { throw corrupt("BUILD twice on an object of \(object.className)") }
                default: throw corrupt("BUILD on a \(stack[stack.count - 1].typeName)")
                }
            case 0x81:  // NEWOBJ: only TorchScript's classes, as records of their attributes
                guard case .tuple? = stack.popLast(), case .global(let global)? = stack.popLast() else {
                    throw corrupt("NEWOBJ needs a class and an argument tuple")
                }
                guard case .scriptClass(let name) = global else { throw corrupt("NEWOBJ of \(global)") }
                stack.append(.object(PickleObject(className: name)))
            case UInt8(ascii: "s"):  // SETITEM
                guard stack.count >= 3 else { throw corrupt("SETITEM needs a dict, a key and a value") }
                let value = stack.removeLast()
                let key = stack.removeLast()
                try insert([key, value], into: stack[stack.count - 1])
            case UInt8(ascii: "u"):  // SETITEMS
                let items = try popMark()
                guard items.count % 2 == 0, !stack.isEmpty else { throw corrupt("SETITEMS needs a dict and key-value pairs") }
                try insert(items, into: stack[stack.count - 1])
            case UInt8(ascii: "a"):  // APPEND
                guard stack.count >= 2 else { throw corrupt("APPEND needs a list and a value") }
                let value = stack.removeLast()
                try append([value], to: stack[stack.count - 1])
            case UInt8(ascii: "e"):  // APPENDS
                let items = try popMark()
                guard !stack.isEmpty else { throw corrupt("APPENDS needs a list") }
                try append(items, to: stack[stack.count - 1])
            case UInt8(ascii: "Q"):  // BINPERSID: torch's storage references
                guard let identifier = stack.popLast() else { throw corrupt("BINPERSID with an empty stack") }
                let storage = try storage(from: identifier)
                storages[storage.key] = storage
                stack.append(.storage(storage))
            case UInt8(ascii: "0"):
                guard stack.popLast() != nil else { throw corrupt("POP with an empty stack") }
            case UInt8(ascii: "1"): _ = try popMark()
            case UInt8(ascii: "2"): stack.append(try top())
            default:
                throw ModelFileError(.unsupported, path: cursor.path, "\(cursor.context): pickle opcode 0x\(String(opcode, radix: 16)) at byte \(cursor.offset - 1) is not used by state dicts")
            }
        }
    }

    private func top() throws(ModelFileError) -> PickleValue {
        guard let value = stack.last else { throw corrupt("memo store with an empty stack") }
        return value
    }

    private mutating func pushMemo(_ index: Int) throws(ModelFileError) {
        guard let value = memo[index] else { throw corrupt("memo index \(index) was never stored") }
        stack.append(value)
    }

    private mutating func popMark() throws(ModelFileError) -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw corrupt("missing MARK") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private mutating func readLong() throws(ModelFileError) -> PickleValue {
        let length = Int(try cursor.read(UInt8.self, "a long length"))
        let bytes = try cursor.readBytes(length, "a long")
        guard length <= 8 else { return .bigInteger(Array(bytes)) }
        var value: UInt64 = 0
        for (index, byte) in bytes.enumerated() { value |= UInt64(byte) << (8 * UInt64(index)) }
        // Two's complement of `length` bytes, sign-extended.
        if length > 0, length < 8, bytes[length - 1] & 0x80 != 0 { value |= ~0 << (8 * UInt64(length)) }
        return .int(Int(Int64(bitPattern: value)))
    }

    private mutating func readString(length: Int) throws(ModelFileError) -> String {
        try cursor.readString(byteCount: length, "a string")
    }

    private mutating func readLine() throws(ModelFileError) -> String {
        var bytes: [UInt8] = []
        while true {
            let byte = try cursor.read(UInt8.self, "a global name")
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            guard bytes.count < 256 else { throw corrupt("global name longer than 256 bytes") }
            bytes.append(byte)
        }
    }

    private func resolve(module: String, name: String) throws(ModelFileError) -> PickleGlobal {
        if let global = PickleGlobal(module: module, name: name) { return global }
        if acceptsScriptObjects, let global = PickleGlobal(torchScriptModule: module, name: name) { return global }
        let accepted = acceptsScriptObjects ? "TorchScript modules' weights (tensors in module attributes)" : "plain state dicts (tensors in dicts)"
        throw ModelFileError(.forbidden, path: cursor.path, "the checkpoint's pickle refers to \(module).\(name); Loom loads only \(accepted) and will not import anything else")
    }

    private func call(_ callable: PickleGlobal, _ arguments: [PickleValue]) throws(ModelFileError) -> PickleValue {
        switch callable {
        case .orderedDict:
            guard arguments.isEmpty else { throw corrupt("OrderedDict called with arguments") }
            return .dict(PickleDict())
        case .rebuildParameter:
            guard let first = arguments.first, case .tensor = first else { throw corrupt("_rebuild_parameter without a tensor") }
            return first
        case .rebuildTensor:
            guard case .storage(let storage)? = arguments.first else { throw corrupt("_rebuild_tensor_v2 without a storage") }
            return .tensor(try rebuildTensor(arguments, dataType: storage.dataType))
        case .rebuildTensorWithType:
            guard arguments.count >= 7, case .global(.dataType(let dataType)) = arguments[6] else {
                throw corrupt("_rebuild_tensor_v3 without a dtype")
            }
            return .tensor(try rebuildTensor(arguments, dataType: dataType))
        case .listBuilder:
            guard arguments.count == 1, case .list = arguments[0] else { throw corrupt("\(callable) without a list") }
            return arguments[0]
        case .typeTag:
            guard arguments.count == 2 else { throw corrupt("\(callable) without a value and a type") }
            return arguments[0]
        case .storageType, .dataType, .scriptClass:
            throw corrupt("\(callable) is not callable")
        }
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`;
    /// v3 adds the dtype. Offset and strides count elements of `dataType`.
    private func rebuildTensor(_ arguments: [PickleValue], dataType: TensorDataType) throws(ModelFileError) -> TensorReference {
        guard arguments.count >= 4, case .storage(let storage) = arguments[0], case .int(let offset) = arguments[1],
              case .tuple(let sizes) = arguments[2], case .tuple(let strides) = arguments[3]
        else { throw corrupt("_rebuild_tensor_v2 arguments are not (storage, offset, size, stride, ...)") }
        var shape: [Int] = []
        var stride: [Int] = []
        for value in sizes.items {
            guard case .int(let size) = value, size >= 0 else { throw corrupt("tensor size is not a list of non-negative integers") }
            shape.append(size)
        }
        for value in strides.items {
            guard case .int(let step) = value else { throw corrupt("tensor stride is not a list of integers") }
            stride.append(step)
        }
        guard shape.count == stride.count, offset >= 0 else { throw corrupt("tensor size, stride and offset disagree") }
        guard let count = elementCount(of: shape) else { throw corrupt("tensor shape \(shape) is too large") }
        // Only row-major layouts can be handed out as a byte range; dimensions of size 1 may have any stride.
        if count > 0 {
            var expected = 1
            for (size, step) in zip(shape, stride).reversed() where size != 1 {
                guard step == expected else {
                    throw ModelFileError(.unsupported, path: cursor.path, "a tensor of shape \(shape) has non-contiguous strides \(stride); save the state dict with contiguous tensors")
                }
                expected *= size
            }
        }
        let (end, overflow) = offset.addingReportingOverflow(count)
        let (endByte, byteOverflow) = end.multipliedReportingOverflow(by: dataType.blockByteCount)
        let (storageBytes, storageOverflow) = storage.elementCount.multipliedReportingOverflow(by: storage.dataType.blockByteCount)
        guard !overflow, !byteOverflow, !storageOverflow, endByte <= storageBytes else {
            throw corrupt("tensor of shape \(shape) at offset \(offset) exceeds its storage of \(storage.elementCount) elements")
        }
        return TensorReference(storage: storage, dataType: dataType, elementOffset: offset, shape: shape)
    }

    /// torch's persistent id: `("storage", storage_type, key, location, numel)`; legacy files add
    /// `view_metadata`, which is None unless the storage is a view of another.
    private func storage(from identifier: PickleValue) throws(ModelFileError) -> StorageReference {
        guard case .tuple(let tuple) = identifier, tuple.items.count == 5 || tuple.items.count == 6,
              case .string("storage") = tuple.items[0], case .global(.storageType(let dataType)) = tuple.items[1],
              case .string(let key) = tuple.items[2], case .int(let count) = tuple.items[4], count >= 0
        else { throw corrupt("persistent id is not a torch storage reference") }
        if tuple.items.count == 6 {
            guard case .none = tuple.items[5] else {
                throw ModelFileError(.unsupported, path: cursor.path, "storage \(key) is a view of another storage; re-save the checkpoint with torch.save")
            }
        }
        guard !count.multipliedReportingOverflow(by: dataType.blockByteCount).overflow else {
            throw corrupt("storage \(key) of \(count) elements is too large")
        }
        if let known = storages[key], known.dataType != dataType || known.elementCount != count {
            throw corrupt("storage \(key) is described twice, differently")
        }
        return StorageReference(dataType: dataType, key: key, elementCount: count)
    }

    private func insert(_ items: [PickleValue], into target: PickleValue) throws(ModelFileError) {
        guard case .dict(let dict) = target else { throw corrupt("SETITEM on a \(target.typeName)") }
        for index in stride(from: 0, to: items.count, by: 2) {
            dict.set(items[index], items[index + 1])
        }
    }

    private func append(_ items: [PickleValue], to target: PickleValue) throws(ModelFileError) {
        guard case .list(let list) = target else { throw corrupt("APPEND on a \(target.typeName)") }
        for item in items { list.append(item) }
    }
}
