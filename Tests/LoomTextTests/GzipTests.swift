import Foundation
import Testing
@testable import LoomText

@Suite struct GzipTests {
    @Test(arguments: ["stored", "fixed", "dynamic", "huffman_only", "named"])
    func decompressesWhatZlibWrote(_ variant: String) throws {
        let plain = try Fixtures.data("inflate_plain.txt")
        let compressed = try Fixtures.data("inflate_\(variant).gz")
        #expect(try Gzip.decompress(Array(compressed)) == Array(plain))
    }

    @Test func bundledVocabularyDecompresses() throws {
        let url = try #require(CLIPTokenizer.bundledVocabularyURL)
        let text = try Gzip.decompress(Array(Data(contentsOf: url)))
        #expect(text.count == 3_194_984)
        #expect(String(decoding: text.prefix(48), as: UTF8.self).hasPrefix("\"bpe_simple_vocab_16e6.txt#version: 0.2\ni n\n"))
    }

    @Test func rejectsCorruptData() throws {
        let compressed = Array(try Fixtures.data("inflate_dynamic.gz"))
        var badChecksum = compressed
        badChecksum[badChecksum.count - 8] ^= 0xFF
        #expect(throws: GzipError.corrupt("incorrect data check")) { try Gzip.decompress(badChecksum) }
        #expect(throws: GzipError.truncated) { try Gzip.decompress(Array(compressed.prefix(compressed.count / 2))) }
        #expect(throws: GzipError.notGzip) { try Gzip.decompress(Array("plain text, not gzip".utf8)) }
        var reservedBlock = compressed
        reservedBlock[10] = 0b111  // final block of reserved type 3
        #expect(throws: GzipError.corrupt("invalid block type")) { try Gzip.decompress(reservedBlock) }
        var badLength = compressed
        badLength[badLength.count - 1] ^= 0x01
        #expect(throws: GzipError.corrupt("incorrect length check")) { try Gzip.decompress(badLength) }
    }

    @Test func outputPastTheLimitIsAnError() throws {
        let compressed = Array(try Fixtures.data("inflate_dynamic.gz"))
        let plain = try Fixtures.data("inflate_plain.txt")
        #expect(throws: GzipError.tooLarge(limit: 100)) { try Gzip.decompress(compressed, limit: 100) }
        #expect(try Gzip.decompress(compressed, limit: plain.count) == Array(plain))
    }

    @Test func aWrongStatedLengthStillDecodesUpToTheCheck() throws {
        // The trailer's length sizes the first buffer only: one that understates makes the output grow, and zlib's
        // length check then names the lie.
        var compressed = Array(try Fixtures.data("inflate_dynamic.gz"))
        compressed.replaceSubrange((compressed.count - 4)..., with: [1, 0, 0, 0])
        #expect(throws: GzipError.corrupt("incorrect length check")) { try Gzip.decompress(compressed) }
    }
}
