/// Reads an ONNX `ModelProto` (onnx.proto3): the opset, the graph's nodes, inputs and outputs, and its
/// initializers and `Constant` values as tensors that point into the memory map. Only what a weights reader
/// needs is understood: tensors whose data lie in the file (`raw_data`, or packed `float_data`/`int64_data`/
/// `int32_data`/`double_data`); external data, strings, complex numbers, sparse initializers and subgraphs
/// (If, Loop, Scan) are refused by name. Counts and sizes are bounded, so a hostile file cannot make the
/// reader allocate without limit.
enum ONNXReader {
    static let maximumNodes = 200_000
    static let maximumTensors = 200_000
    static let maximumListLength = 1 << 16
    static let maximumRank = 8

    static func read(_ file: MappedFile) throws(ModelFileError) -> ONNXModel {
        var state = State(file: file)
        var model = ProtobufReader(file.bytes, path: file.path, context: "ONNX model", range: 0..<file.size)
        guard file.size > 0 else { throw ModelFileError(.truncated, path: file.path, "the file is empty") }
        var graph: Range<Int>?
        var opset: Int?
        var producer = ""
        var irVersion: UInt64?
        while !model.isAtEnd {
            let (number, wireType) = try model.field()
            switch (number, wireType) {
            case (1, .varint): irVersion = try model.varint("ir_version")
            case (2, .lengthDelimited): producer = try model.string("producer_name")
            case (7, .lengthDelimited):
                guard graph == nil else { throw model.corrupt("the model has two graphs") }
                graph = try model.bytes("the graph")
            case (8, .lengthDelimited):
                var entry = model.message(try model.bytes("an opset import"), context: "ONNX opset import")
                var domain = "", version: Int64 = 0
                while !entry.isAtEnd {
                    let (field, type) = try entry.field()
                    switch (field, type) {
                    case (1, .lengthDelimited): domain = try entry.string("the opset domain")
                    case (2, .varint): version = try entry.int64("the opset version")
                    default: try entry.skip(type)
                    }
                }
                if domain.isEmpty || domain == "ai.onnx" { opset = Int(clamping: version) }
            default: try model.skip(wireType)
            }
        }
        guard let irVersion, let graph, let opset else {
            throw ModelFileError(.corrupt, path: file.path, "not an ONNX model (it needs an ir_version, a graph and the standard opset's version)")
        }
        guard (3...12).contains(irVersion) else {
            throw ModelFileError(.unsupported, path: file.path, "ONNX IR version \(irVersion) is not one Loom reads (3–12)")
        }
        var reader = model.message(graph, context: "ONNX graph")
        var nodes: [ONNXModel.Node] = []
        var inputs: [String] = [], outputs: [String] = []
        while !reader.isAtEnd {
            let (number, wireType) = try reader.field()
            switch (number, wireType) {
            case (1, .lengthDelimited):
                guard nodes.count < maximumNodes else { throw reader.corrupt("more than \(maximumNodes) nodes") }
                nodes.append(try state.node(reader.message(try reader.bytes("a node"), context: "ONNX node \(nodes.count)")))
            case (5, .lengthDelimited):
                try state.tensor(reader.message(try reader.bytes("an initializer"), context: "ONNX initializer \(state.tensors.count)"),
                                 name: nil)
            case (15, .lengthDelimited):
                throw ModelFileError(.unsupported, path: file.path, "the graph has sparse initializers, which Loom does not read")
            case (11, .lengthDelimited), (12, .lengthDelimited):
                var value = reader.message(try reader.bytes("a graph input or output"), context: "ONNX value info")
                var name = ""
                while !value.isAtEnd {
                    let (field, type) = try value.field()
                    if field == 1, type == .lengthDelimited { name = try value.string("a value name") } else { try value.skip(type) }
                }
                guard inputs.count + outputs.count < maximumListLength else { throw reader.corrupt("too many graph inputs and outputs") }
                if number == 11 { inputs.append(name) } else { outputs.append(name) }
            default: try reader.skip(wireType)
            }
        }
        let weights = try ModelFile(path: file.path, format: .onnx, tensors: state.tensors, metadata: [:], fileSize: file.size)
        let initializers = Set(state.tensors.map(\.name))
        return ONNXModel(path: file.path, opsetVersion: opset, producer: producer, nodes: nodes,
                         inputs: inputs.filter { !initializers.contains($0) }, outputs: outputs, weights: weights)
    }

    struct State {
        let file: MappedFile
        var tensors: [StoredTensor] = []

        init(file: MappedFile) { self.file = file }

        mutating func node(_ message: ProtobufReader) throws(ModelFileError) -> ONNXModel.Node {
            var reader = message
            var inputs: [String] = [], outputs: [String] = []
            var name = "", opType = "", domain = ""
            var attributes: [String: ONNXModel.Attribute] = [:]
            while !reader.isAtEnd {
                let (number, wireType) = try reader.field()
                switch (number, wireType) {
                case (1, .lengthDelimited), (2, .lengthDelimited):
                    guard inputs.count + outputs.count < maximumListLength else { throw reader.corrupt("a node with too many inputs and outputs") }
                    let value = try reader.string("a node input or output")
                    if number == 1 { inputs.append(value) } else { outputs.append(value) }
                case (3, .lengthDelimited): name = try reader.string("a node name")
                case (4, .lengthDelimited): opType = try reader.string("an operator type")
                case (7, .lengthDelimited): domain = try reader.string("an operator domain")
                case (5, .lengthDelimited):
                    guard attributes.count < 1024 else { throw reader.corrupt("a node with more than 1024 attributes") }
                    let (key, value) = try attribute(reader.message(try reader.bytes("an attribute"), context: reader.context))
                    attributes[key] = value
                default: try reader.skip(wireType)
                }
            }
            guard !opType.isEmpty else { throw reader.corrupt("a node without an operator type") }
            // A Constant's value is a weight like any initializer, found by the value it defines.
            if opType == "Constant", case .tensor(let stored)? = attributes["value"], let output = outputs.first,
               let index = tensors.lastIndex(where: { $0.name == stored }) {
                tensors[index] = tensors[index].renamed(output)
                attributes["value"] = .tensor(output)
            }
            return ONNXModel.Node(opType: opType, domain: domain, name: name, inputs: inputs, outputs: outputs, attributes: attributes)
        }

        mutating func attribute(_ message: ProtobufReader) throws(ModelFileError) -> (String, ONNXModel.Attribute) {
            var reader = message
            var name = ""
            var type = 0
            var int: Int?, float: Float?, string: String?, tensor: String?
            var ints: [Int] = [], floats: [Float] = []
            while !reader.isAtEnd {
                let (number, wireType) = try reader.field()
                switch (number, wireType) {
                case (1, .lengthDelimited): name = try reader.string("an attribute name")
                case (20, .varint): type = Int(clamping: try reader.int64("an attribute type"))
                case (2, .fixed32): float = Float(bitPattern: try reader.fixed32("a float attribute"))
                case (3, .varint): int = Int(try reader.int64("an integer attribute"))
                case (4, .lengthDelimited): string = try reader.string("a string attribute")
                case (5, .lengthDelimited):
                    let placeholder = "\u{0}constant \(tensors.count)"
                    try self.tensor(reader.message(try reader.bytes("a tensor attribute"), context: reader.context), name: placeholder)
                    tensor = placeholder
                case (7, .fixed32), (7, .lengthDelimited):
                    if wireType == .fixed32 {
                        floats.append(Float(bitPattern: try reader.fixed32("a float list")))
                    } else {
                        var packed = reader.message(try reader.bytes("a float list"), context: reader.context)
                        while !packed.isAtEnd { floats.append(Float(bitPattern: try packed.fixed32("a float list"))) }
                    }
                    guard floats.count <= maximumListLength else { throw reader.corrupt("attribute \(name) holds too many floats") }
                case (8, .varint), (8, .lengthDelimited):
                    try reader.appendInt64s(wireType, to: &ints, limit: maximumListLength, "attribute \(name)")
                default: try reader.skip(wireType)
                }
            }
            // AttributeType: FLOAT 1, INT 2, STRING 3, TENSOR 4, FLOATS 6, INTS 7; older files may omit it.
            let value: ONNXModel.Attribute
            switch type {
            case 1: value = .float(float ?? 0)
            case 2: value = .int(int ?? 0)
            case 3: value = .string(string ?? "")
            case 4:
                guard let tensor else { throw reader.corrupt("tensor attribute \(name) has no tensor") }
                value = .tensor(tensor)
            case 6: value = .floats(floats)
            case 7: value = .ints(ints)
            case 0:
                if let tensor { value = .tensor(tensor) } else if let int { value = .int(int) } else if let float { value = .float(float) }
                else if let string { value = .string(string) } else if !ints.isEmpty { value = .ints(ints) } else { value = .floats(floats) }
            default: value = .unread(type)
            }
            return (name, value)
        }

        /// A TensorProto; `name` overrides its own (for Constant values, renamed when the node is complete).
        mutating func tensor(_ message: ProtobufReader, name override: String?) throws(ModelFileError) {
            var reader = message
            var dims: [Int] = []
            var dataType = 0
            var name = ""
            var data: Range<Int>?
            var typedField: (number: Int, range: Range<Int>)?
            var external = false
            while !reader.isAtEnd {
                let (number, wireType) = try reader.field()
                switch (number, wireType) {
                case (1, .varint), (1, .lengthDelimited):
                    try reader.appendInt64s(wireType, to: &dims, limit: maximumRank, "a tensor's dimensions")
                case (2, .varint): dataType = Int(clamping: try reader.int64("a tensor type"))
                case (8, .lengthDelimited): name = try reader.string("a tensor name")
                case (9, .lengthDelimited): data = try reader.bytes("a tensor's raw data")
                case (4, .lengthDelimited), (5, .lengthDelimited), (7, .lengthDelimited), (10, .lengthDelimited), (11, .lengthDelimited):
                    typedField = (number, try reader.bytes("a tensor's data"))
                case (4, _), (5, _), (7, _), (10, _), (11, _):
                    throw reader.corrupt("tensor \(name) stores its values unpacked, which Loom does not read")
                case (6, _): throw ModelFileError(.unsupported, path: file.path, "tensor \(name) holds strings, which Loom does not read")
                case (13, _):
                    external = true
                    try reader.skip(wireType)
                case (14, .varint): if try reader.varint("a data location") == 1 { external = true }
                case (3, _): throw ModelFileError(.unsupported, path: file.path, "tensor \(name) is split into segments, which Loom does not read")
                default: try reader.skip(wireType)
                }
            }
            let label = override == nil ? "tensor \(name)" : "a constant"
            guard !external else {
                throw ModelFileError(.unsupported, path: file.path, "\(label) keeps its data in a separate file (ONNX external data); Loom reads only self-contained .onnx files")
            }
            guard let type = ONNXReader.dataType(dataType) else {
                throw ModelFileError(.unsupported, path: file.path, "\(label) has ONNX data type \(dataType), which Loom does not read")
            }
            guard dims.allSatisfy({ $0 >= 0 && $0 <= 1 << 40 }) else {
                throw ModelFileError(.corrupt, path: file.path, "\(label) has dimensions \(dims)")
            }
            var count = 1
            for dim in dims {
                let (product, overflow) = count.multipliedReportingOverflow(by: dim)
                guard !overflow, product <= file.size else {
                    throw ModelFileError(.corrupt, path: file.path, "\(label) of shape \(dims) is larger than the file")
                }
                count = product
            }
            guard let byteCount = type.byteCount(elementCount: count) else {
                throw ModelFileError(.corrupt, path: file.path, "\(label) of shape \(dims) has no valid size")
            }
            var storage = file
            var range: Range<Int>
            if let data {
                range = data
            } else if let typedField {
                (storage, range) = try Self.typedData(typedField, type: type, count: count, file: file, label: label)
            } else {
                range = 0..<0
            }
            guard range.count == byteCount else {
                throw ModelFileError(.corrupt, path: file.path, "\(label) of shape \(dims) (\(type.name)) holds \(range.count) bytes, not \(byteCount)")
            }
            guard tensors.count < maximumTensors else { throw ModelFileError(.corrupt, path: file.path, "more than \(maximumTensors) tensors") }
            tensors.append(StoredTensor(name: override ?? name, dataType: type, shape: dims, byteRange: range, file: storage))
        }

        /// Values stored in TensorProto's typed fields: packed floats and doubles lie in the file as they are;
        /// packed varints (int32_data, int64_data) are decoded into memory of their own, at most one value per byte.
        static func typedData(_ field: (number: Int, range: Range<Int>), type: TensorDataType, count: Int, file: MappedFile,
                              label: String) throws(ModelFileError) -> (MappedFile, Range<Int>) {
            switch (field.number, type) {
            case (4, .float32), (10, .float64): return (file, field.range)
            case (7, .int64), (5, .int32):
                guard count <= field.range.count else {
                    throw ModelFileError(.corrupt, path: file.path, "\(label) holds fewer values than its shape needs")
                }
                var values: [Int] = []
                var reader = ProtobufReader(file.bytes, path: file.path, context: label, range: field.range)
                try reader.appendInt64s(.lengthDelimited, to: &values, limit: count, label)
                var bytes: [UInt8] = []
                bytes.reserveCapacity(count * type.blockByteCount)
                for value in values {
                    if type == .int64 {
                        withUnsafeBytes(of: Int64(value).littleEndian) { bytes += $0 }
                    } else {
                        withUnsafeBytes(of: Int32(truncatingIfNeeded: value).littleEndian) { bytes += $0 }
                    }
                }
                return (MappedFile(copying: bytes, path: file.path), 0..<bytes.count)
            default:
                throw ModelFileError(.unsupported, path: file.path, "\(label) stores \(type.name) values in field \(field.number), which Loom does not read")
            }
        }
    }

    /// TensorProto.DataType to Loom's storage types.
    static func dataType(_ value: Int) -> TensorDataType? {
        switch value {
        case 1: .float32
        case 2: .uint8
        case 3: .int8
        case 4: .uint16
        case 5: .int16
        case 6: .int32
        case 7: .int64
        case 9: .bool
        case 10: .float16
        case 11: .float64
        case 12: .uint32
        case 13: .uint64
        case 16: .bfloat16
        default: nil
        }
    }
}
