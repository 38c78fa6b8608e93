import Foundation
import Testing
@testable import LoomModelFiles

/// Builds GGUF bytes field by field, so tests control every count, type and offset.
private struct GGUFBuilder {
    var version: UInt32 = 3
    var keyValues: [UInt8] = []
    var keyValueCount = 0
    var infos: [UInt8] = []
    var tensorCount = 0
    var data: [UInt8] = []
    var alignment = 32

    func string(_ text: String, into bytes: inout [UInt8]) {
        bytes.append(littleEndian: UInt64(text.utf8.count))
        bytes += Array(text.utf8)
    }

    mutating func add(key: String, type: UInt32, value: [UInt8]) {
        string(key, into: &keyValues)
        keyValues.append(littleEndian: type)
        keyValues += value
        keyValueCount += 1
    }

    mutating func addTensor(_ name: String, dimensions: [UInt64], type: UInt32, bytes: [UInt8], offset: UInt64? = nil) {
        while data.count % alignment != 0 { data.append(0) }
        string(name, into: &infos)
        infos.append(littleEndian: UInt32(dimensions.count))
        for dimension in dimensions { infos.append(littleEndian: dimension) }
        infos.append(littleEndian: type)
        infos.append(littleEndian: offset ?? UInt64(data.count))
        data += bytes
        tensorCount += 1
    }

    var bytes: [UInt8] {
        var result = Array("GGUF".utf8)
        result.append(littleEndian: version)
        result.append(littleEndian: UInt64(tensorCount))
        result.append(littleEndian: UInt64(keyValueCount))
        result += keyValues + infos
        while result.count % alignment != 0 { result.append(0) }
        return result + data
    }
}

private func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.append(littleEndian: value)
    return bytes
}

@Suite struct GGUFTests {
    private func open(_ builder: GGUFBuilder) throws -> ModelFile {
        let directory = try TemporaryDirectory()
        return try ModelFile.open(path: directory.write(builder.bytes, to: "model.gguf"))
    }

    private func failure(_ builder: GGUFBuilder) throws -> ModelFileError? {
        let directory = try TemporaryDirectory()
        let path = try directory.write(builder.bytes, to: "model.gguf")
        return #expect(throws: ModelFileError.self) { try ModelFile.open(path: path) }
    }

    @Test func readsEveryMetadataType() throws {
        var builder = GGUFBuilder()
        builder.add(key: "u8", type: 0, value: [200])
        builder.add(key: "i8", type: 1, value: [0xFF])
        builder.add(key: "u16", type: 2, value: le(UInt16(65000)))
        builder.add(key: "i16", type: 3, value: le(Int16(-300)))
        builder.add(key: "u32", type: 4, value: le(UInt32(4_000_000_000)))
        builder.add(key: "i32", type: 5, value: le(Int32(-70000)))
        builder.add(key: "f32", type: 6, value: le(Float(0.5).bitPattern))
        builder.add(key: "bool", type: 7, value: [1])
        var text: [UInt8] = []
        builder.string("flux", into: &text)
        builder.add(key: "general.architecture", type: 8, value: text)
        builder.add(key: "u64", type: 10, value: le(UInt64.max))
        builder.add(key: "i64", type: 11, value: le(Int64.min))
        builder.add(key: "f64", type: 12, value: le(Double(-1.25).bitPattern))
        var strings = le(UInt32(8)) + le(UInt64(2))
        builder.string("a", into: &strings)
        builder.string("bc", into: &strings)
        builder.add(key: "strings", type: 9, value: strings)
        // An array of two arrays of int32.
        let nested = le(UInt32(9)) + le(UInt64(2)) + le(UInt32(5)) + le(UInt64(1)) + le(Int32(7)) + le(UInt32(5)) + le(UInt64(0))
        builder.add(key: "nested", type: 9, value: nested)

        let file = try open(builder)
        #expect(file.metadata["u8"] == .uint(200))
        #expect(file.metadata["i8"] == .int(-1))
        #expect(file.metadata["u16"] == .uint(65000))
        #expect(file.metadata["i16"] == .int(-300))
        #expect(file.metadata["u32"] == .uint(4_000_000_000))
        #expect(file.metadata["i32"] == .int(-70000))
        #expect(file.metadata["f32"] == .double(0.5))
        #expect(file.metadata["bool"] == .bool(true))
        #expect(file.metadata["general.architecture"] == .string("flux"))
        #expect(file.metadata["u64"] == .uint(.max))
        #expect(file.metadata["i64"] == .int(.min))
        #expect(file.metadata["f64"] == .double(-1.25))
        #expect(file.metadata["strings"] == .array([.string("a"), .string("bc")]))
        #expect(file.metadata["nested"] == .array([.array([.int(7)]), .array([])]))
    }

    @Test func blockSizesAreGGMLs() {
        #expect(TensorDataType.q8_0.byteCount(elementCount: 64) == 68)
        #expect(TensorDataType.q4_0.byteCount(elementCount: 32) == 18)
        #expect(TensorDataType.q4_1.byteCount(elementCount: 32) == 20)
        #expect(TensorDataType.q5_0.byteCount(elementCount: 32) == 22)
        #expect(TensorDataType.q5_1.byteCount(elementCount: 32) == 24)
        #expect(TensorDataType.q4_0.byteCount(elementCount: 33) == nil)
        #expect(TensorDataType.q2_K.byteCount(elementCount: 256) == 84)
        #expect(TensorDataType.q3_K.byteCount(elementCount: 256) == 110)
        #expect(TensorDataType.q4_K.byteCount(elementCount: 256) == 144)
        #expect(TensorDataType.q5_K.byteCount(elementCount: 512) == 352)
        #expect(TensorDataType.q6_K.byteCount(elementCount: 256) == 210)
        #expect(TensorDataType.q6_K.byteCount(elementCount: 32) == nil)
    }

    /// Hand-built blocks with d = 0.5 (f16 0x3800) and m = 1 (f16 0x3C00): element i has nibble i % 16.
    @Test func dequantisesQ4_1Q5_0AndQ5_1() throws {
        let nibbles = (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }  // low: 0…15, high: 15…0
        let q4_1: [UInt8] = le(UInt16(0x3800)) + le(UInt16(0x3C00)) + nibbles
        // Fifth bits set for elements 0 and 31.
        let highBits = le(UInt32(1 | 1 << 31))
        let q5_0: [UInt8] = le(UInt16(0x3800)) + highBits + nibbles
        let q5_1: [UInt8] = le(UInt16(0x3800)) + le(UInt16(0x3C00)) + highBits + nibbles
        var builder = GGUFBuilder()
        builder.addTensor("q4_1", dimensions: [32], type: 3, bytes: q4_1)
        builder.addTensor("q5_0", dimensions: [32], type: 6, bytes: q5_0)
        builder.addTensor("q5_1", dimensions: [32], type: 7, bytes: q5_1)
        let file = try open(builder)

        let low = (0..<16).map(Float.init)
        let high = (0..<16).map { Float(15 - $0) }
        #expect(file["q4_1"]?.floats() == (low + high).map { $0 * 0.5 + 1 })
        var fiveBit = low + high
        fiveBit[0] += 16
        fiveBit[31] += 16
        #expect(file["q5_0"]?.floats() == fiveBit.map { ($0 - 16) * 0.5 })
        #expect(file["q5_1"]?.floats() == fiveBit.map { $0 * 0.5 + 1 })
    }

    @Test func shapesAreReversedToOutermostFirst() throws {
        var builder = GGUFBuilder()
        builder.addTensor("w", dimensions: [2, 3], type: 0, bytes: [UInt8](repeating: 0, count: 24))
        #expect(try open(builder)["w"]?.shape == [3, 2])
    }

    @Test(arguments: [(15, "Q8_K"), (23, "IQ4_XS"), (16, "IQ2_XXS"), (9, "Q8_1"), (39, "MXFP4"), (99, "unknown type 99")])
    func rejectsUnsupportedTypesByName(type: UInt32, name: String) throws {
        var builder = GGUFBuilder()
        builder.addTensor("w", dimensions: [256], type: type, bytes: [UInt8](repeating: 0, count: 256))
        let error = try failure(builder)
        #expect(error?.kind == .unsupported)
        #expect(error?.message.contains(name) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("\"w\"") == true)
    }

    @Test func rejectsOtherVersionsAndMisalignedOrMissingData() throws {
        var old = GGUFBuilder()
        old.version = 1
        #expect(try failure(old)?.kind == .unsupported)

        var misaligned = GGUFBuilder()
        misaligned.addTensor("w", dimensions: [4], type: 0, bytes: [UInt8](repeating: 0, count: 16), offset: 4)
        #expect(try failure(misaligned)?.message.contains("alignment") == true)

        var pastEnd = GGUFBuilder()
        pastEnd.addTensor("w", dimensions: [1000], type: 0, bytes: [UInt8](repeating: 0, count: 16))
        #expect(try failure(pastEnd)?.kind == .truncated)

        var overlapping = GGUFBuilder()
        overlapping.addTensor("a", dimensions: [16], type: 0, bytes: [UInt8](repeating: 0, count: 64), offset: 0)
        overlapping.addTensor("b", dimensions: [16], type: 0, bytes: [UInt8](repeating: 0, count: 64), offset: 32)
        #expect(try failure(overlapping)?.message.contains("overlap") == true)

        var partialBlock = GGUFBuilder()
        partialBlock.addTensor("w", dimensions: [16, 2], type: 8, bytes: [UInt8](repeating: 0, count: 34))
        #expect(try failure(partialBlock)?.message.contains("blocks") == true)

        var badAlignment = GGUFBuilder()
        badAlignment.add(key: "general.alignment", type: 4, value: le(UInt32(24)))
        #expect(try failure(badAlignment)?.message.contains("power of two") == true)
    }

    @Test func opensA24GigabyteSparseGGUFWithoutReadingIt() throws {
        var builder = GGUFBuilder()
        builder.addTensor("double_blocks.0.img_mod.lin.weight", dimensions: [3072, 8_000_000], type: 8, bytes: [])
        let directory = try TemporaryDirectory()
        let path = try directory.write(builder.bytes, to: "huge.gguf")
        let dataBytes = 3072 * 8_000_000 / 32 * 34
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(builder.bytes.count + dataBytes))
        try handle.close()
        let start = ContinuousClock.now
        let file = try ModelFile.open(path: path)
        #expect(ContinuousClock.now - start < .seconds(5))
        let tensor = try #require(file["double_blocks.0.img_mod.lin.weight"])
        #expect(tensor.shape == [8_000_000, 3072])
        #expect(tensor.dataType == .q8_0)
        #expect(tensor.byteCount == dataBytes)
        #expect(dataBytes > 24_000_000_000)
    }

    @Test func hostileCountsFailBeforeAllocating() throws {
        var builder = GGUFBuilder()
        builder.add(key: "huge", type: 9, value: le(UInt32(10)) + le(UInt64.max))
        #expect(try failure(builder)?.kind == .truncated)

        var counts = Array("GGUF".utf8) + le(UInt32(3)) + le(UInt64(1) << 60) + le(UInt64(1) << 60)
        counts += [UInt8](repeating: 0, count: 64)
        let directory = try TemporaryDirectory()
        let error = #expect(throws: ModelFileError.self) { try ModelFile.open(path: directory.write(counts, to: "counts.gguf")) }
        #expect(error?.kind == .truncated)

        var deep = GGUFBuilder()
        var value: [UInt8] = []
        for _ in 0..<20 { value += le(UInt32(9)) + le(UInt64(1)) }
        value += le(UInt32(0)) + le(UInt64(0))
        deep.add(key: "deep", type: 9, value: value)
        #expect(try failure(deep)?.message.contains("nest") == true)
    }

    /// A byte in the file becomes a value of tens of bytes in memory; a count of values bounds the metadata.
    @Test func metadataArraysAreBoundedInValuesNotBytes() throws {
        var builder = GGUFBuilder()
        let count = GGUFReader.maximumMetadataValues + 1
        builder.add(key: "bytes", type: 9, value: le(UInt32(0)) + le(UInt64(count)) + [UInt8](repeating: 7, count: count))
        let error = try failure(builder)
        #expect(error?.kind == .unsupported)
        #expect(error?.message.contains("more than \(GGUFReader.maximumMetadataValues) values") == true)

        var split = GGUFBuilder()
        for index in 0..<2 {
            split.add(key: "half\(index)", type: 9, value: le(UInt32(0)) + le(UInt64(count / 2)) + [UInt8](repeating: 7, count: count / 2))
        }
        #expect(try failure(split)?.kind == .unsupported, "the bound is over the whole file")
    }
}
