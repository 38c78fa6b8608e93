import Foundation
import MultipartKit
import NIOCore

/// The fields and files of a `multipart/form-data` body.
struct MultipartForm {
    struct Part {
        var name: String
        var filename: String?
        var body: ByteBuffer

        var text: String { String(buffer: body) }
    }

    private(set) var parts: [Part] = []

    subscript(name: String) -> Part? { parts.first { $0.name == name } }

    init(body: ByteBuffer, contentType: String?) throws(ServerError) {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data"),
            let boundary = Self.parameter("boundary", in: contentType)
        else {
            throw .badRequest("expected a multipart/form-data body with a boundary")
        }
        let parser = MultipartParser(boundary: boundary)
        var headers: [(String, String)] = []
        var partBody = ByteBuffer()
        var parts: [Part] = []
        parser.onHeader = { headers.append(($0, $1)) }
        parser.onBody = { partBody.writeBuffer(&$0) }
        parser.onPartComplete = {
            let disposition = headers.first { $0.0.lowercased() == "content-disposition" }?.1 ?? ""
            if let name = Self.parameter("name", in: disposition) {
                parts.append(Part(name: name, filename: Self.parameter("filename", in: disposition), body: partBody))
            }
            headers = []
            partBody = ByteBuffer()
        }
        do {
            try parser.execute(body)
        } catch {
            throw .badRequest("the multipart body is malformed: \(error)")
        }
        self.parts = parts
    }

    /// A `key=value` or `key="value"` parameter of a header such as Content-Disposition.
    static func parameter(_ key: String, in header: String) -> String? {
        for item in header.split(separator: ";").dropFirst() {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == key else { continue }
            let value = pair[1]
            return value.count >= 2 && value.hasPrefix("\"") && value.hasSuffix("\"")
                ? String(value.dropFirst().dropLast()) : value
        }
        return nil
    }
}
