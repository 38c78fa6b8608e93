import Foundation
import Testing
@testable import LoomModelFiles

/// Mutated copies of valid files must either open or throw `ModelFileError` — never crash, hang or
/// allocate without bound. A crash fails the whole test run, which is the point.
@Suite struct FuzzTests {
    @Test(arguments: [
        ("t5-tiny-fp8-e4m3fn-scaled.safetensors", UInt64(1)),
        ("flux-dev-tiny-Q4_0.gguf", UInt64(2)),
        ("body_pose_model-tiny.pth", UInt64(3)),
        ("hand_pose_model-tiny-legacy.pth", UInt64(4)),
        ("torch-saved-dtypes.ckpt", UInt64(5)),
        ("block-types.gguf", UInt64(6)),
        ("dw-ll_ucoco_384_bs5-tiny.torchscript.pt", UInt64(7)),
    ])
    func mutatedFilesOpenOrThrow(name: String, seed: UInt64) throws {
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(name))))
        let directory = try TemporaryDirectory()
        var random = SeededGenerator(state: seed)
        var opened = 0
        var failed = 0
        for iteration in 0..<1000 {
            var bytes = original
            switch iteration % 4 {
            case 0:
                // Truncate anywhere.
                bytes.removeLast(Int.random(in: 1...bytes.count, using: &random))
            case 1:
                // Flip bits in the first 4 KiB, where the headers are.
                for _ in 0..<Int.random(in: 1...8, using: &random) {
                    bytes[Int.random(in: 0..<min(4096, bytes.count), using: &random)] ^= UInt8.random(in: 1...255, using: &random)
                }
            case 2:
                // Overwrite a little-endian word with an extreme value, as a hostile length or offset would be.
                let position = Int.random(in: 0..<(min(4096, bytes.count) - 8), using: &random)
                let value = [UInt64.max, UInt64(Int.max), 0, 1 << 40, UInt64(UInt32.max)].randomElement(using: &random)!
                withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(position..<(position + 8), with: $0) }
            default:
                // Random bytes anywhere, including tensor data and the zip directory at the end.
                for _ in 0..<Int.random(in: 1...32, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            }
            let path = try directory.write(bytes, to: "case.bin")
            do {
                let file = try ModelFile.open(path: path)
                // Everything a successful open hands out must be readable.
                for tensor in file.tensors { _ = tensor.floats() }
                _ = ArchitectureDetector.detect(file)
                opened += 1
            } catch {
                #expect(!error.message.isEmpty)
                failed += 1
            }
        }
        #expect(opened + failed == 1000)
        // Both paths must be exercised: mutations in tensor data open fine, those in headers mostly fail.
        #expect(opened > 0 && failed > 0, "\(opened) opened, \(failed) failed")
    }
}
