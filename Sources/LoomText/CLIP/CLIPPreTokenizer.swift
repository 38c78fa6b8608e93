/// CLIP's word splitting, the regular expression
/// `<|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`
/// applied left to right; the Python tokenizer compiles it ignoring case (so `'ſ` is a contraction:
/// the long s folds to s), the Rust one does not. Written as a scanner because each alternative is tried in order and
/// none needs backtracking, which keeps it independent of a regex engine's Unicode tables.
enum CLIPPreTokenizer {
    private static let literals: [[Unicode.Scalar]] = ["<|startoftext|>", "<|endoftext|>", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d"]
        .map { Array($0.unicodeScalars) }

    /// tokenizers' ByteLevel step splits the words again with GPT-2's pattern. That leaves every
    /// word of this pattern intact except the two special-token spellings; see `classRuns(in:)`.
    static func words(in text: String, ignoringCase: Bool) -> [Substring] {
        let scalars = Array(text.unicodeScalars)
        let view = text.unicodeScalars
        var words: [Substring] = []
        var position = 0
        while position < scalars.count {
            guard let length = matchLength(at: position, in: scalars, ignoringCase: ignoringCase) else {
                position += 1  // whitespace: no alternative matches, the regex skips it
                continue
            }
            let start = view.index(view.startIndex, offsetBy: position)
            let end = view.index(start, offsetBy: length)
            words.append(Substring(view[start..<end]))
            position += length
        }
        return words
    }

    /// GPT-2's split of a word without spaces or apostrophes: maximal runs of letters, of numbers
    /// and of other characters.
    static func classRuns(in word: Substring) -> [Substring] {
        func kind(_ scalar: Unicode.Scalar) -> Int { isLetter(scalar) ? 0 : isNumber(scalar) ? 1 : 2 }
        var runs: [Substring] = []
        let scalars = word.unicodeScalars
        var start = scalars.startIndex
        for index in scalars.indices.dropFirst() where kind(scalars[index]) != kind(scalars[scalars.index(before: index)]) {
            runs.append(Substring(scalars[start..<index]))
            start = index
        }
        if start != scalars.endIndex { runs.append(Substring(scalars[start...])) }
        return runs
    }

    private static func matchLength(at position: Int, in scalars: [Unicode.Scalar], ignoringCase: Bool) -> Int? {
        for literal in literals where position + literal.count <= scalars.count {
            let candidate = scalars[position..<(position + literal.count)]
            if ignoringCase ? candidate.elementsEqual(literal, by: equalIgnoringCase) : candidate.elementsEqual(literal) {
                return literal.count
            }
        }
        let first = scalars[position]
        if isLetter(first) { return run(from: position, in: scalars, while: isLetter) }
        if isNumber(first) { return 1 }
        if !first.properties.isWhitespace {
            return run(from: position, in: scalars) { !$0.properties.isWhitespace && !isLetter($0) && !isNumber($0) }
        }
        return nil
    }

    /// Simple case folding against the ASCII pattern characters: the scalar or its upper case equals.
    private static func equalIgnoringCase(_ scalar: Unicode.Scalar, _ pattern: Unicode.Scalar) -> Bool {
        scalar == pattern || scalar.properties.uppercaseMapping == pattern.properties.uppercaseMapping
    }

    private static func run(from position: Int, in scalars: [Unicode.Scalar], while predicate: (Unicode.Scalar) -> Bool) -> Int {
        var end = position
        while end < scalars.count, predicate(scalars[end]) { end += 1 }
        return end - position
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: true
        default: false
        }
    }

    private static func isNumber(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: true
        default: false
        }
    }
}
