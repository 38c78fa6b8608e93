import Foundation
@testable import LoomModelFiles
import Testing

/// The ONNX reader on the tiny DWPose exports (make_dwpose_fixtures.py) and on damaged and hostile files.
@Suite struct ONNXReaderTests {
    /// Protocol Buffers' encoding, for hand-made messages.
    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value, bytes: [UInt8] = []
        repeat {
            bytes.append(UInt8(value & 0x7F) | (value > 0x7F ? 0x80 : 0))
            value >>= 7
        } while value > 0
        return bytes
    }

    static func field(_ number: Int, _ bytes: [UInt8]) -> [UInt8] { varint(UInt64(number << 3 | 2)) + varint(UInt64(bytes.count)) + bytes }
    static func field(_ number: Int, int value: Int) -> [UInt8] { varint(UInt64(number << 3)) + varint(UInt64(bitPattern: Int64(value))) }

    /// A model whose graph has one Conv node and the given initializer.
    static func model(initializer: [UInt8]) -> [UInt8] {
        let node = field(1, Array("x".utf8)) + field(1, Array("w".utf8)) + field(2, Array("y".utf8)) + field(4, Array("Conv".utf8))
        let graph = field(1, node) + field(5, initializer)
        return field(1, int: 7) + field(8, field(2, int: 11)) + field(7, graph)
    }

    static func floatTensor(name: String = "w", dims: [Int], raw: [UInt8]) -> [UInt8] {
        dims.flatMap { field(1, int: $0) } + field(2, int: 1) + field(8, Array(name.utf8)) + field(9, raw)
    }

    @Test func readsTheTinyExports() throws {
        let yolox = try ONNXModel.open(path: Fixtures.path("yolox_l-tiny.onnx"))
        #expect(yolox.opsetVersion == 11 && yolox.producer == "pytorch")
        #expect(yolox.inputs == ["images"] && yolox.outputs == ["output"])
        #expect(yolox.operatorCounts["Conv"] == 131 && yolox.operatorCounts["MaxPool"] == 3)
        let stem = try #require(yolox.nodes.first { $0.opType == "Conv" })
        #expect(stem.ints("kernel_shape") == [3, 3] && stem.ints("pads") == [1, 1, 1, 1] && stem.int("group") == 1)
        #expect(yolox.tensor(stem.inputs[1])?.shape == [1, 12, 3, 3])
        // An exporter's Identity alias of a shared bias resolves to the stored tensor.
        let alias = try #require(yolox.nodes.first { $0.opType == "Identity" })
        #expect(yolox.tensor(alias.outputs[0])?.name == alias.inputs[0])

        let rtmpose = try ONNXModel.open(path: Fixtures.path("dw-ll_ucoco_384-tiny.onnx"))
        #expect(rtmpose.inputs == ["input"] && rtmpose.outputs == ["simcc_x", "simcc_y"])
        let split = try #require(rtmpose.nodes.first { $0.opType == "Split" })
        #expect(split.ints("split") == [8, 8, 4])
        // A Constant's value is a tensor under the name of the value it defines.
        let constant = try #require(rtmpose.nodes.first { $0.opType == "Constant" })
        #expect(rtmpose.weights[constant.outputs[0]] != nil)
        let clip = try #require(rtmpose.nodes.first { $0.opType == "Clip" })
        #expect(rtmpose.tensor(clip.inputs[1])?.floats() == [1e-5])
    }

    @Test func everyTruncationIsAnErrorNotACrash() throws {
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("dw-ll_ucoco_384-tiny.onnx"))))
        let directory = try TemporaryDirectory()
        for length in stride(from: 0, to: original.count, by: 997) {
            #expect(throws: ModelFileError.self) { try ONNXModel.open(path: directory.write(Array(original.prefix(length)), to: "cut.onnx")) }
        }
    }

    @Test func refusesWhatItDoesNotUnderstand() throws {
        let directory = try TemporaryDirectory()
        func open(_ bytes: [UInt8]) throws -> ONNXModel { try ONNXModel.open(path: directory.write(bytes, to: "m.onnx")) }
        // A well-formed one first.
        let good = try open(Self.model(initializer: Self.floatTensor(dims: [2], raw: [0, 0, 128, 63, 0, 0, 0, 64])))
        #expect(good.weights["w"]?.floats() == [1, 2] && good.nodes.first?.opType == "Conv")

        let external = Self.floatTensor(dims: [2], raw: []) + Self.field(13, Self.field(1, Array("location".utf8)))
        let externalError = #expect(throws: ModelFileError.self) { try open(Self.model(initializer: external)) }
        #expect(externalError?.kind == .unsupported && externalError?.message.contains("external data") == true)

        let wrongSize = #expect(throws: ModelFileError.self) { try open(Self.model(initializer: Self.floatTensor(dims: [3], raw: [0, 0, 0, 0]))) }
        #expect(wrongSize?.kind == .corrupt)

        let huge = #expect(throws: ModelFileError.self) { try open(Self.model(initializer: Self.floatTensor(dims: [1 << 40, 1 << 40], raw: []))) }
        #expect(huge?.kind == .corrupt)

        let strings = Self.field(1, int: 1) + Self.field(2, int: 8) + Self.field(6, Array("a".utf8))
        let stringError = #expect(throws: ModelFileError.self) { try open(Self.model(initializer: strings)) }
        #expect(stringError?.kind == .unsupported)

        // A length far past the end of the file.
        let lying = Self.field(1, int: 7) + Self.varint(7 << 3 | 2) + Self.varint(1 << 40)
        #expect(throws: ModelFileError.self) { try open(lying) }
        // A group (wire type 3), which ONNX never uses.
        #expect(throws: ModelFileError.self) { try open(Self.varint(7 << 3 | 3)) }
        // An 11-byte varint.
        #expect(throws: ModelFileError.self) { try open([0x08] + [UInt8](repeating: 0xFF, count: 10) + [0x01]) }
        // Not ONNX at all.
        #expect(throws: ModelFileError.self) { try open(Array("{\"not\": \"onnx\"}".utf8)) }
    }

    /// Damaged copies open or throw `ModelFileError`; what opens hands out readable tensors.
    @Test func randomDamageOpensOrThrows() throws {
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("yolox_l-tiny.onnx"))))
        let directory = try TemporaryDirectory()
        var random = SeededGenerator(state: 18)
        var opened = 0, failed = 0
        for iteration in 0..<200 {
            var damaged = original
            if iteration % 2 == 0 {
                for _ in 0..<8 { damaged[Int(random.next() % UInt64(damaged.count))] = UInt8(truncatingIfNeeded: random.next()) }
            } else {
                // An extreme varint where a length or count would be.
                let position = Int(random.next() % UInt64(damaged.count - 10))
                damaged.replaceSubrange(position..<(position + 10), with: [UInt8](repeating: 0xFF, count: 9) + [0x01])
            }
            let path = try directory.write(damaged, to: "damaged.onnx")
            do {
                let model = try ONNXModel.open(path: path)
                for tensor in model.weights.tensors { _ = tensor.floats() }
                opened += 1
            } catch {
                #expect(!error.message.isEmpty)
                failed += 1
            }
        }
        #expect(opened > 0 && failed > 0, "\(opened) opened, \(failed) failed")
    }
}
