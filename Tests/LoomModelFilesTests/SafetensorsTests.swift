import Foundation
import Testing
@testable import LoomModelFiles

@Suite struct SafetensorsTests {
    private func open(header: String, data: [UInt8] = []) throws -> ModelFile {
        let directory = try TemporaryDirectory()
        return try ModelFile.open(path: directory.write(safetensorsBytes(header: header, data: data), to: "model.safetensors"))
    }

    private func error(header: String, data: [UInt8] = []) throws -> ModelFileError? {
        let directory = try TemporaryDirectory()
        let path = try directory.write(safetensorsBytes(header: header, data: data), to: "model.safetensors")
        return #expect(throws: ModelFileError.self) { try ModelFile.open(path: path) }
    }

    @Test func decodesEveryDtype() throws {
        // name: (dtype, stored bytes, expected floats)
        let cases: [(String, [UInt8], [Float])] = [
            ("BOOL", [1, 0], [1, 0]),
            ("U8", [255, 7], [255, 7]),
            ("I8", [0x80, 0x7F], [-128, 127]),
            ("I16", [0xFE, 0xFF], [-2]),
            ("U16", [0xFF, 0xFF], [65535]),
            ("I32", [0xFD, 0xFF, 0xFF, 0xFF], [-3]),
            ("U32", [0x10, 0, 0, 0], [16]),
            ("I64", [0xFB, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [-5]),
            ("U64", [9, 0, 0, 0, 0, 0, 0, 0], [9]),
            ("F64", [0, 0, 0, 0, 0, 0, 0x04, 0xC0], [-2.5]),
            ("F32", [0, 0, 0xC0, 0x3F], [1.5]),
            ("F16", [0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00, 0x00, 0x7C], [1, -2, 0x1p-24, .infinity]),
            ("BF16", [0x80, 0x3F, 0x40, 0xC0], [1, -3]),
            ("F8_E4M3", [0x38, 0x7E, 0x01, 0xB8, 0x00], [1, 448, 0x1p-9, -1, 0]),
            ("F8_E5M2", [0x3C, 0x7C, 0xC0], [1, .infinity, -2]),
        ]
        var header: [String] = []
        var data: [UInt8] = []
        for (index, (dtype, bytes, values)) in cases.enumerated() {
            header.append(#""t\#(index)": {"dtype": "\#(dtype)", "shape": [\#(values.count)], "data_offsets": [\#(data.count), \#(data.count + bytes.count)]}"#)
            data += bytes
        }
        let file = try open(header: "{" + header.joined(separator: ", ") + "}", data: data)
        for (index, (dtype, _, values)) in cases.enumerated() {
            let tensor = try #require(file["t\(index)"])
            #expect(tensor.dataType.name == dtype)
            #expect(tensor.floats() == values, "\(dtype)")
        }
    }

    @Test func fp8E4M3HasNoInfinityAndOneNaN() {
        #expect(ScalarConversion.float(fromE4M3: 0x7F).isNaN)
        #expect(ScalarConversion.float(fromE4M3: 0xFF).isNaN)
        #expect(ScalarConversion.float(fromE4M3: 0x78) == 256)
        #expect(ScalarConversion.float(fromE5M2: 0x7F).isNaN)
    }

    @Test func recognisesBothScaledFP8Spellings() throws {
        // The original spelling under a model prefix, with an F32 marker of two elements (E4M3, full-precision matmul).
        let old = try open(header: #"""
            {"model.diffusion_model.scaled_fp8": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
             "model.diffusion_model.a.weight": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [8, 10]},
             "model.diffusion_model.a.scale_weight": {"dtype": "F32", "shape": [], "data_offsets": [10, 14]}}
            """#, data: [UInt8](repeating: 0, count: 8) + [0x38, 0x40] + [0, 0, 0, 0x40])
        #expect(old.scaledFP8Type == .float8E4M3)
        #expect(old.scaledFloats(of: "model.diffusion_model.a.weight") == [2, 4])
        // The spelling ComfyUI saves now: weight_scale and a comfy_quant description, no marker.
        let new = try open(header: #"""
            {"a.weight": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]},
             "a.weight_scale": {"dtype": "F32", "shape": [], "data_offsets": [2, 6]},
             "a.comfy_quant": {"dtype": "U8", "shape": [2], "data_offsets": [6, 8]}}
            """#, data: [0x38, 0x40, 0, 0, 0, 0x3F, 0x7B, 0x7D])
        #expect(!new.isScaledFP8)
        #expect(new.scaledFloats(of: "a.weight") == [0.5, 1])
        #expect(ScaledFP8.isScaleTensor("a.comfy_quant") && ScaledFP8.isScaleTensor("a.input_scale"))
        #expect(!ScaledFP8.isScaleTensor("a.weight"))
    }

    @Test func readsMetadataAndScalars() throws {
        let file = try open(header: #"{"__metadata__": {"format": "pt", "note": "x"}, "s": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}"#, data: [0, 0, 0x80, 0x3F])
        #expect(file.metadata == ["format": .string("pt"), "note": .string("x")])
        #expect(file["s"]?.shape == [])
        #expect(file["s"]?.floats() == [1])
    }

    @Test(arguments: [
        (#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#, "overlaps"),
        (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#, "gap"),
        (#"{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, "needs 12"),
        (#"{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 8]}}"#, "non-negative"),
        (#"{"a": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 8]}}"#, "too large"),
        (#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}"#, "data_offsets"),
        (#"{"__metadata__": {"n": 1}}"#, "not a string"),
        (#"{"a": {"dtype": "F32", "shape": [2]"#, "not valid JSON"),
        (#"[1, 2]"#, "not a JSON object"),
    ])
    func rejectsInconsistentHeaders(header: String, message: String) throws {
        let failure = try error(header: header, data: [UInt8](repeating: 0, count: 8))
        #expect(failure?.message.contains(message) == true, "\(failure?.message ?? "no error")")
        #expect(failure?.path.hasSuffix("model.safetensors") == true)
    }

    @Test func rejectsUnknownDtypeByName() throws {
        let failure = try error(header: #"{"a": {"dtype": "F4", "shape": [1], "data_offsets": [0, 1]}}"#, data: [0])
        #expect(failure?.kind == .unsupported)
        #expect(failure?.message.contains("\"F4\"") == true)
    }

    @Test func rejectsTruncatedData() throws {
        let failure = try error(header: #"{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}"#, data: [0, 0, 0, 0])
        #expect(failure?.kind == .truncated)
    }

    @Test func rejectsTrailingBytes() throws {
        let failure = try error(header: #"{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}"#, data: [0, 0])
        #expect(failure?.kind == .corrupt)
    }

    @Test func rejectsHugeHeaderLengthWithoutAllocating() throws {
        let directory = try TemporaryDirectory()
        var bytes: [UInt8] = []
        bytes.append(littleEndian: UInt64(200_000_000))
        bytes += Array("{}".utf8)
        let path = try directory.write(bytes, to: "huge.safetensors")
        let failure = #expect(throws: ModelFileError.self) { try ModelFile.open(path: path) }
        #expect(failure?.message.contains("100 MB") == true)
        var lying: [UInt8] = []
        lying.append(littleEndian: UInt64(1000))
        lying += Array("{}".utf8)
        let truncated = #expect(throws: ModelFileError.self) { try ModelFile.open(path: directory.write(lying, to: "lying.safetensors")) }
        #expect(truncated?.kind == .truncated)
    }

    @Test func emptyAndMissingFilesAreErrors() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: ModelFileError.self) { try ModelFile.open(path: directory.write([], to: "empty.safetensors")) }
        let missing = #expect(throws: ModelFileError.self) { try ModelFile.open(path: directory.path + "/absent.safetensors") }
        #expect(missing?.kind == .unreadable)
        #expect(throws: ModelFileError.self) { try ModelFile.open(path: directory.path) }
    }

    /// A 24 GB checkpoint must open from its header alone: the data is a hole in a sparse file.
    @Test func opensA24GigabyteSparseFileWithoutReadingIt() throws {
        let directory = try TemporaryDirectory()
        let elements = 6_000_000_000
        let header = #"{"__metadata__": {"format": "pt"}, "model.diffusion_model.huge.weight": {"dtype": "F32", "shape": [\#(elements)], "data_offsets": [0, \#(elements * 4)]}}"#
        let path = try directory.write(safetensorsBytes(header: header), to: "huge.safetensors")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(8 + header.utf8.count + elements * 4))
        try handle.close()

        let start = ContinuousClock.now
        let file = try ModelFile.open(path: path)
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(file.fileSize == 8 + header.utf8.count + 24_000_000_000)
        let tensor = try #require(file["model.diffusion_model.huge.weight"])
        #expect(tensor.byteCount == 24_000_000_000)
        #expect(tensor.shape == [elements])
        // The accessor hands out the mapped range; touching one page reads only that page.
        tensor.withUnsafeBytes { bytes in
            #expect(bytes.count == 24_000_000_000)
            #expect(bytes[bytes.count - 1] == 0)
        }
    }
}
