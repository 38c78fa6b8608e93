import Foundation
import Testing
@testable import LoomModelFiles

/// TorchScript archives (torch.jit.save): the module tree's tensors under dotted names, nothing else imported or
/// run, and hostile archives refused with the reason.
@Suite struct TorchScriptReaderTests {
    /// Pickle opcodes for hand-written TorchScript `data.pkl` files, as torch's pickler writes them.
    struct Pickle {
        var bytes: [UInt8] = [0x80, 0x02]

        mutating func global(_ module: String, _ name: String) { bytes += [UInt8(ascii: "c")] + Array("\(module)\n\(name)\n".utf8) }
        mutating func string(_ text: String) { bytes += [0x8C, UInt8(text.utf8.count)] + Array(text.utf8) }
        mutating func op(_ code: Character) { bytes.append(code.asciiValue!) }
        mutating func int(_ value: UInt8) { bytes += [UInt8(ascii: "K"), value] }

        /// `__torch__.<module>.<name>` instance: GLOBAL, EMPTY_TUPLE, NEWOBJ, then its state dict and BUILD.
        mutating func object(_ module: String, _ name: String, attributes: (inout Pickle) -> Void) {
            global(module, name)
            op(")")
            bytes.append(0x81)
            op("}")
            op("(")
            attributes(&self)
            op("u")
            op("b")
        }

        /// `_rebuild_tensor_v2` of float32 storage `key` holding `count` elements, as a 1-D tensor of `size`.
        mutating func tensor(key: String, count: UInt8, size: UInt8) {
            global("torch._utils", "_rebuild_tensor_v2")
            op("(")
            op("(")
            string("storage")
            global("torch", "FloatStorage")
            string(key)
            string("cpu")
            int(count)
            op("t")
            op("Q")
            int(0)
            op("(")
            int(size)
            op("t")
            op("(")
            int(1)
            op("t")
            bytes.append(0x89)
            global("collections", "OrderedDict")
            op(")")
            op("R")
            op("t")
            op("R")
        }

        mutating func stop() { op(".") }
    }

    /// A module `Net` with `training`, a float attribute, a submodule `conv` holding a weight and a Sequential-like
    /// `blocks` whose item `0` holds a bias, an int list built by `build_intlist` and a list of tensors.
    static func modulePickle() -> [UInt8] {
        var pickle = Pickle()
        pickle.object("__torch__", "Net") { p in
            p.string("training")
            p.bytes.append(0x89)
            p.string("scale")
            p.bytes += [UInt8(ascii: "G"), 0x3F, 0xE0, 0, 0, 0, 0, 0, 0]
            p.string("conv")
            p.object("__torch__.torch.nn.modules.conv", "Conv2d") { p in
                p.string("weight")
                p.tensor(key: "0", count: 2, size: 2)
            }
            p.string("blocks")
            p.object("__torch__.torch.nn.modules.container.___torch_mangle_3", "Sequential") { p in
                p.string("0")
                p.object("__torch__.___torch_mangle_2", "Block") { p in
                    p.string("bias")
                    p.tensor(key: "1", count: 1, size: 1)
                }
            }
            p.string("sizes")
            p.global("torch.jit._pickle", "build_intlist")
            p.op("(")
            p.op("]")
            p.op("(")
            p.int(3)
            p.int(4)
            p.op("e")
            p.op("t")
            p.op("R")
            p.string("extras")
            p.op("]")
            p.op("(")
            p.tensor(key: "0", count: 2, size: 2)
            p.op("e")
        }
        pickle.stop()
        return pickle.bytes
    }

    static let storages: [(name: String, data: [UInt8])] = [
        ("net/data/0", [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40]),  // 1, 2
        ("net/data/1", [0, 0, 0x40, 0x40]),  // 3
    ]

    static func archive(pickle: [UInt8] = modulePickle(), prefix: String = "net", constantsPrefix: String = "net",
                        storages: [(name: String, data: [UInt8])] = storages) -> [UInt8] {
        storedZip([
            ("\(prefix)/data.pkl", pickle), ("\(constantsPrefix)/constants.pkl", [0x80, 0x02, UInt8(ascii: ")"), UInt8(ascii: ".")]),
            ("\(prefix)/code/__torch__.py", Array("print('never run')".utf8)), ("\(prefix)/version", Array("3".utf8)),
            ("\(prefix)/byteorder", Array("little".utf8)),
        ] + storages, deflated: ["\(prefix)/code/__torch__.py"])
    }

    static func open(_ bytes: [UInt8], name: String = "model.torchscript.pt") throws -> ModelFile {
        let directory = try TemporaryDirectory()
        return try ModelFile.open(path: directory.write(bytes, to: name))
    }

    @Test func readsTheModuleTreeUnderDottedNames() throws {
        let file = try Self.open(Self.archive())
        #expect(file.format == .torchScript)
        #expect(file.tensorNames == ["conv.weight", "blocks.0.bias", "extras.0"])
        #expect(file["conv.weight"]?.shape == [2] && file["conv.weight"]?.floats() == [1, 2])
        #expect(file["blocks.0.bias"]?.floats() == [3])
        #expect(file["extras.0"]?.floats() == [1, 2])
    }

    @Test func readsTheTinyDWPoseArchives() throws {
        let detector = try ModelFile.open(path: Fixtures.path("yolox_l-tiny.torchscript.pt"))
        #expect(detector.format == .torchScript && detector.tensors.count == 628)
        #expect(detector.tensorNames.first == "backbone.backbone.stem.conv.conv.weight")
        #expect(detector["backbone.backbone.stem.conv.conv.weight"]?.shape == [1, 12, 3, 3])
        #expect(detector["backbone.backbone.dark5.2.m.2.conv2.bn.running_var"]?.shape == [8])
        #expect(detector["head.obj_preds.2.bias"]?.shape == [1])
        #expect(detector.tensorNames.allSatisfy { !$0.hasSuffix("num_batches_tracked") })

        let estimator = try ModelFile.open(path: Fixtures.path("dw-ll_ucoco_384_bs5-tiny.torchscript.pt"))
        #expect(estimator.tensors.count == 395)
        #expect(estimator["backbone.stem.0.conv.weight"]?.shape == [2, 3, 3, 3])
        #expect(estimator["head.cls_y.weight"]?.shape == [768, 4])
        #expect(estimator["head.mlp.0.g"]?.floats() == [1.0378019])
        #expect(estimator["head.gau.ln.g"]?.floats() == [0.8277067])
        #expect(estimator["head.gau.gamma"]?.floats().first == 0.32556629180908203)
        // The fixture's BatchNorm uses ε = 1e-5; its variances were raised from the ONNX model's (ε = 1e-3) by the difference.
        #expect(estimator["backbone.stage1.1.blocks.0.conv1.bn.running_var"]?.floats().prefix(2) == [1.2010845, 1.2213])
    }

    @Test func refusesGlobalsOutsideTheAllowListWithoutRunningThem() throws {
        for (module, name) in [("posix", "system"), ("torch.jit._pickle", "build_tensor_from_id"), ("builtins", "eval"), ("torch", "load")] {
            var pickle = Pickle()
            pickle.object("__torch__", "Net") { p in
                p.string("payload")
                p.global(module, name)
                p.op("(")
                p.string("id")
                p.op("t")
                p.op("R")
            }
            pickle.stop()
            let error = #expect(throws: ModelFileError.self) { try Self.open(Self.archive(pickle: pickle.bytes)) }
            #expect(error?.kind == .forbidden)
            #expect(error?.message.contains("\(module).\(name)") == true)
        }
    }

    @Test func scriptClassesAreRefusedInPlainCheckpoints() throws {
        // Without constants.pkl the archive is a torch.save checkpoint, whose pickles never name __torch__ classes.
        let zip = storedZip([("net/data.pkl", Self.modulePickle()), ("net/byteorder", Array("little".utf8))] + Self.storages)
        let error = #expect(throws: ModelFileError.self) { try Self.open(zip, name: "model.pth") }
        #expect(error?.kind == .forbidden)
        #expect(error?.message.contains("__torch__.Net") == true)
    }

    @Test func refusesTruncatedAndOversizedArchives() throws {
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("yolox_l-tiny.torchscript.pt"))))
        let truncated = #expect(throws: ModelFileError.self) { try Self.open(Array(original.prefix(original.count / 2))) }
        #expect(truncated?.kind == .truncated)
        // A tensor claiming more elements than its storage holds, and a storage shorter than its pickle says.
        let short = #expect(throws: ModelFileError.self) {
            try Self.open(Self.archive(storages: [("net/data/0", [0, 0, 0x80, 0x3F]), ("net/data/1", [0, 0, 0x40, 0x40])]))
        }
        #expect(short?.message.contains("storage 0 holds 4 bytes") == true)
        var oversized = Pickle()
        oversized.object("__torch__", "Net") { p in
            p.string("weight")
            p.tensor(key: "0", count: 2, size: 200)
        }
        oversized.stop()
        let large = #expect(throws: ModelFileError.self) { try Self.open(Self.archive(pickle: oversized.bytes)) }
        #expect(large?.message.contains("exceeds its storage") == true)
        let missing = #expect(throws: ModelFileError.self) { try Self.open(Self.archive(storages: [])) }
        #expect(missing?.message.contains("which the file lacks") == true)
    }

    @Test func refusesArchivesWithTheWrongLayout() throws {
        let misplaced = #expect(throws: ModelFileError.self) { try Self.open(Self.archive(constantsPrefix: "other")) }
        #expect(misplaced?.kind == .corrupt && misplaced?.message.contains("constants.pkl") == true)
        let nested = #expect(throws: ModelFileError.self) { try Self.open(Self.archive(prefix: "net/inner", constantsPrefix: "net")) }
        #expect(nested?.message.contains("<archive>/data.pkl") == true)
        var notAModule = Pickle()
        notAModule.op("}")
        notAModule.stop()
        let dict = #expect(throws: ModelFileError.self) { try Self.open(Self.archive(pickle: notAModule.bytes)) }
        #expect(dict?.message.contains("not a module") == true)
        // The weights' pickle must be stored; a deflated one is listed but not read.
        let zip = storedZip([("net/data.pkl", Self.modulePickle()), ("net/constants.pkl", [0x80, 0x02, 0x29, 0x2E])] + Self.storages,
                            deflated: ["net/data.pkl"])
        let compressed = #expect(throws: ModelFileError.self) { try Self.open(zip) }
        #expect(compressed?.kind == .unsupported && compressed?.message.contains("net/data.pkl is compressed") == true)
    }

    @Test func objectsAreBuiltOnceAndOnlyFromScriptClasses() throws {
        var twice = Pickle()
        twice.object("__torch__", "Net") { _ in }
        twice.op("}")
        twice.op("b")
        twice.stop()
        let built = #expect(throws: ModelFileError.self) { try Self.open(Self.archive(pickle: twice.bytes)) }
        #expect(built?.message.contains("BUILD twice") == true)
        var plain = Pickle()
        plain.global("collections", "OrderedDict")
        plain.op(")")
        plain.bytes.append(0x81)
        plain.stop()
        let newObject = #expect(throws: ModelFileError.self) { try Self.open(Self.archive(pickle: plain.bytes)) }
        #expect(newObject?.kind == .corrupt && newObject?.message.contains("NEWOBJ of collections.OrderedDict") == true)
    }

    /// An object whose state is itself, and a chain of objects nested 100,000 deep: bounded errors, no hang or crash.
    @Test func cyclesAndDeepNestingAreBounded() throws {
        var cycle = Pickle()
        cycle.global("__torch__", "Net")
        cycle.op(")")
        cycle.bytes.append(0x81)
        cycle.bytes += [UInt8(ascii: "q"), 0]  // memoise the object
        cycle.bytes += [UInt8(ascii: "h"), 0]  // its state: the object itself
        cycle.op("b")
        cycle.stop()
        let cyclic = #expect(throws: ModelFileError.self) { try Self.open(Self.archive(pickle: cycle.bytes)) }
        #expect(cyclic?.message.contains("deeper than \(TorchScriptReader.maximumDepth)") == true)

        var deep = Pickle()
        deep.global("__torch__", "Net")
        deep.bytes += [UInt8(ascii: "q"), 0]
        deep.op(")")
        deep.bytes.append(0x81)
        for _ in 0..<100_000 {
            // a new object of the memoised class becomes the state of the one below it
            deep.bytes += [UInt8(ascii: "h"), 0, UInt8(ascii: ")"), 0x81]
        }
        deep.bytes += [UInt8(ascii: "}")] + [UInt8](repeating: UInt8(ascii: "b"), count: 100_001)
        deep.stop()
        let nested = #expect(throws: ModelFileError.self) { try Self.open(Self.archive(pickle: deep.bytes)) }
        #expect(nested?.message.contains("deeper than \(TorchScriptReader.maximumDepth)") == true)
    }
}
