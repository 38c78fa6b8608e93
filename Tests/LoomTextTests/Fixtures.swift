import Foundation

/// Reads files that `scripts/fixtures/make_tokenizer_fixtures.py` wrote next to these tests.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }

    static func decode<T: Decodable>(_ type: T.Type, from name: String) throws -> T {
        try JSONDecoder().decode(type, from: data(name))
    }

    static var prompts: [String] {
        get throws { try decode([String].self, from: "prompts.json") }
    }
}
