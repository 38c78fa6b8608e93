/// Scalar-by-scalar text operations. Swift's `String` compares by canonical equivalence and
/// slices by grapheme cluster, but the reference tokenizers (Python and Rust) work on code
/// points: "é" and "e\u{301}" are different vocabulary pieces, and a space followed by a
/// combining mark is still a space.
extension Array where Element == Unicode.Scalar {
    init(_ text: some StringProtocol) {
        self = Array(text.unicodeScalars)
    }

    var string: String { String(String.UnicodeScalarView(self)) }

    /// Python's `str.replace`: non-overlapping occurrences, left to right.
    func replacing(_ target: [Unicode.Scalar], with replacement: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard !target.isEmpty else { return self }
        var result: [Unicode.Scalar] = []
        var index = 0
        while index < count {
            if index + target.count <= count, self[index..<(index + target.count)].elementsEqual(target) {
                result += replacement
                index += target.count
            } else {
                result.append(self[index])
                index += 1
            }
        }
        return result
    }
}

extension String {
    func replacingScalars(_ target: String, with replacement: String) -> String {
        [Unicode.Scalar](self).replacing([Unicode.Scalar](target), with: [Unicode.Scalar](replacement)).string
    }

    func hasScalarPrefix(_ prefix: String) -> Bool {
        unicodeScalars.starts(with: prefix.unicodeScalars)
    }
}
