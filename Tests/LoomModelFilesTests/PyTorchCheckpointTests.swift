import Foundation
import Testing
@testable import LoomModelFiles

@Suite struct PyTorchCheckpointTests {
    /// Pickle protocol 2 for `OrderedDict([("w", tensor)])` with one float32 storage, as torch.save writes it.
    private func statePickle(size: [UInt8] = [2], stride: [UInt8] = [1], storageType: String = "FloatStorage", count: UInt8 = 2) -> [UInt8] {
        var pickle: [UInt8] = [0x80, 0x02]
        pickle += Array("ccollections\nOrderedDict\n".utf8) + [UInt8(ascii: ")"), UInt8(ascii: "R"), UInt8(ascii: "q"), 0]
        pickle += [UInt8(ascii: "("), 0x8C, 1, UInt8(ascii: "w")]
        pickle += Array("ctorch._utils\n_rebuild_tensor_v2\n".utf8)
        pickle += [UInt8(ascii: "("), UInt8(ascii: "("), 0x8C, 7] + Array("storage".utf8)
        pickle += Array("ctorch\n\(storageType)\n".utf8)
        pickle += [0x8C, 1, UInt8(ascii: "0"), 0x8C, 3] + Array("cpu".utf8) + [UInt8(ascii: "K"), count, UInt8(ascii: "t"), UInt8(ascii: "Q")]
        pickle += [UInt8(ascii: "K"), 0]
        pickle += [UInt8(ascii: "(")] + size.flatMap { [UInt8(ascii: "K"), $0] } + [UInt8(ascii: "t")]
        pickle += [UInt8(ascii: "(")] + stride.flatMap { [UInt8(ascii: "K"), $0] } + [UInt8(ascii: "t")]
        pickle += [0x89] + Array("ccollections\nOrderedDict\n".utf8) + [UInt8(ascii: ")"), UInt8(ascii: "R")]
        pickle += [UInt8(ascii: "t"), UInt8(ascii: "R"), UInt8(ascii: "u"), UInt8(ascii: ".")]
        return pickle
    }

    private func open(pickle: [UInt8], storage: [UInt8] = [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40], method: UInt16 = 0, zip64: Bool = false) throws -> ModelFile {
        let directory = try TemporaryDirectory()
        let zip = storedZip(
            [("archive/data.pkl", pickle), ("archive/byteorder", Array("little".utf8)), ("archive/data/0", storage)], method: method, zip64: zip64)
        return try ModelFile.open(path: directory.write(zip, to: "model.pth"))
    }

    @Test func readsAHandWrittenStateDict() throws {
        let file = try open(pickle: statePickle())
        #expect(file.format == .pytorch)
        #expect(file.tensorNames == ["w"])
        #expect(file["w"]?.floats() == [1, 2])
    }

    @Test func readsZip64Archives() throws {
        let file = try open(pickle: statePickle(), zip64: true)
        #expect(file["w"]?.floats() == [1, 2])
    }

    @Test func refusesBigEndianStorages() throws {
        let directory = try TemporaryDirectory()
        let zip = storedZip([("archive/data.pkl", statePickle()), ("archive/byteorder", Array("big".utf8)), ("archive/data/0", [UInt8](repeating: 0, count: 8))])
        let error = #expect(throws: ModelFileError.self) { try ModelFile.open(path: directory.write(zip, to: "model.pth")) }
        #expect(error?.kind == .unsupported)
    }

    @Test func readsTheOpenPoseFixtureInKeyOrder() throws {
        let file = try ModelFile.open(path: Fixtures.path("body_pose_model-tiny.pth"))
        #expect(file.tensorNames.first == "conv1_1.weight")
        #expect(file.tensorNames.last == "Mconv7_stage2_L2.bias")
        #expect(file["Mconv1_stage2_L1.weight"]?.shape == [1, 59, 7, 7])
    }

    @Test func readsTheLegacyFormat() throws {
        let file = try ModelFile.open(path: Fixtures.path("hand_pose_model-tiny-legacy.pth"))
        #expect(file.format == .pytorch)
        #expect(file.tensorNames.first == "conv1_1.weight")
        #expect(file["Mconv1_stage2.weight"]?.shape == [1, 24, 7, 7])
    }

    @Test func legacyFilesAreCheckedPieceByPiece() throws {
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("hand_pose_model-tiny-legacy.pth"))))
        let directory = try TemporaryDirectory()
        var wrongMagic = original
        wrongMagic[4] ^= 0xFF
        let magic = #expect(throws: ModelFileError.self) { try ModelFile.open(path: directory.write(wrongMagic, to: "magic.pth")) }
        #expect(magic?.message.contains("magic number") == true)
        let truncated = #expect(throws: ModelFileError.self) { try ModelFile.open(path: directory.write(Array(original.dropLast(1)), to: "short.pth")) }
        #expect(truncated?.kind == .truncated)
    }

    @Test func refusesForeignGlobalsByName() throws {
        var pickle: [UInt8] = [0x80, 0x02]
        pickle += Array("cposix\nsystem\n".utf8) + [UInt8(ascii: "("), 0x8C, 2] + Array("id".utf8) + [UInt8(ascii: "t"), UInt8(ascii: "R"), UInt8(ascii: ".")]
        let error = #expect(throws: ModelFileError.self) { try open(pickle: pickle) }
        #expect(error?.kind == .forbidden)
        #expect(error?.message.contains("posix.system") == true)
    }

    @Test func refusesNonContiguousTensors() throws {
        let error = #expect(throws: ModelFileError.self) { try open(pickle: statePickle(size: [2, 2], stride: [1, 2], count: 4), storage: [UInt8](repeating: 0, count: 16)) }
        #expect(error?.kind == .unsupported)
        #expect(error?.message.contains("non-contiguous") == true)
    }

    @Test func rejectsTensorsLargerThanTheirStorage() throws {
        let error = #expect(throws: ModelFileError.self) { try open(pickle: statePickle(size: [3], count: 2)) }
        #expect(error?.message.contains("exceeds its storage") == true)
    }

    @Test func rejectsStorageSizeMismatchAndCompression() throws {
        let short = #expect(throws: ModelFileError.self) { try open(pickle: statePickle(), storage: [0, 0, 0, 0]) }
        #expect(short?.message.contains("storage 0") == true)
        let compressed = #expect(throws: ModelFileError.self) { try open(pickle: statePickle(), method: 8) }
        #expect(compressed?.kind == .unsupported)
    }

    @Test func deepNestingIsAnErrorNotACrash() throws {
        var pickle: [UInt8] = [0x80, 0x02, UInt8(ascii: ")")]
        pickle += [UInt8](repeating: 0x85, count: 100_000)  // TUPLE1 around the previous value, again and again
        pickle += [UInt8(ascii: ".")]
        let error = #expect(throws: ModelFileError.self) { try open(pickle: pickle) }
        #expect(error?.message.contains("holds a tuple, not a state dict") == true)
    }

    /// A list is memoised, placed in its parent and only then filled, 100,000 times over: nesting grows after
    /// every container was checked, so freeing the chain must not recurse.
    @Test func memoisedChainsAreFreedWithoutRecursion() throws {
        func memoGet(_ index: Int) -> [UInt8] { [UInt8(ascii: "j")] + withUnsafeBytes(of: UInt32(index).littleEndian, Array.init) }
        var pickle: [UInt8] = [0x80, 0x04, UInt8(ascii: "]"), 0x94]
        for index in 1...100_000 {
            // push the previous list, make a new one, memoise it, append it to the previous, pop the previous
            pickle += memoGet(index - 1) + [UInt8(ascii: "]"), 0x94, UInt8(ascii: "a"), UInt8(ascii: "0")]
        }
        pickle += [UInt8(ascii: ".")]
        let error = #expect(throws: ModelFileError.self) { try open(pickle: pickle) }
        #expect(error?.message.contains("holds a list, not a state dict") == true)
    }

    /// Sixteen levels of dicts whose ten keys all name the same dict below would name 10¹⁶ entries.
    @Test func sharedDictsAreWalkedWithinABudget() throws {
        func memoGet(_ index: Int) -> [UInt8] { [UInt8(ascii: "j")] + withUnsafeBytes(of: UInt32(index).littleEndian, Array.init) }
        var pickle: [UInt8] = [0x80, 0x04, UInt8(ascii: "}"), 0x94, UInt8(ascii: "0")]
        for level in 1...16 {
            pickle += [UInt8(ascii: "}"), UInt8(ascii: "(")]
            for key in 0..<10 { pickle += [0x8C, 1, UInt8(ascii: "a") + UInt8(key)] + memoGet(level - 1) }
            pickle += [UInt8(ascii: "u"), 0x94, UInt8(ascii: "0")]
        }
        pickle += memoGet(16) + [UInt8(ascii: ".")]
        let clock = ContinuousClock()
        let start = clock.now
        let error = #expect(throws: ModelFileError.self) { try open(pickle: pickle) }
        #expect(error?.message.contains("more than \(PyTorchCheckpointReader.maximumStateDictEntries) entries") == true)
        #expect(clock.now - start < .seconds(10))
    }

    @Test func nonDictionaryRootIsUnsupported() throws {
        let error = #expect(throws: ModelFileError.self) { try open(pickle: [0x80, 0x02, UInt8(ascii: "K"), 5, UInt8(ascii: ".")]) }
        #expect(error?.kind == .unsupported)
    }
}
