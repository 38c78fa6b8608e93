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
        #expect(throws: GzipError.checksumMismatch) { try Gzip.decompress(badChecksum) }
        #expect(throws: GzipError.truncated) { try Gzip.decompress(Array(compressed.prefix(compressed.count / 2))) }
        #expect(throws: GzipError.notGzip) { try Gzip.decompress(Array("plain text, not gzip".utf8)) }
        var reservedBlock = compressed
        reservedBlock[10] = 0b111  // final block of reserved type 3
        #expect(throws: GzipError.invalidBlockType) { try Gzip.decompress(reservedBlock) }
    }
}
