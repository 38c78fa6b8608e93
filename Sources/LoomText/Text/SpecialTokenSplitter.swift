/// Splits text around literal special-token strings before normalisation, as Hugging Face
/// tokenizers do for their added tokens: the leftmost match wins, the longest at a position.
enum SpecialTokenSplitter {
    enum Segment: Equatable {
        case text(Substring)
        case special(Int)
    }

    static func split(_ text: String, specialTokens: [String: Int]) -> [Segment] {
        guard !specialTokens.isEmpty else { return text.isEmpty ? [] : [.text(Substring(text))] }
        let candidates = specialTokens.map { (scalars: Array($0.key.unicodeScalars), id: $0.value) }
            .filter { !$0.scalars.isEmpty }
            .sorted { $0.scalars.count > $1.scalars.count }
        let scalars = Array(text.unicodeScalars)
        let view = text.unicodeScalars
        var segments: [Segment] = []
        var textStart = 0
        var position = 0
        func flushText(upTo end: Int) {
            guard end > textStart else { return }
            let from = view.index(view.startIndex, offsetBy: textStart)
            segments.append(.text(Substring(view[from..<view.index(from, offsetBy: end - textStart)])))
        }
        while position < scalars.count {
            let match = candidates.first { candidate in
                position + candidate.scalars.count <= scalars.count
                    && scalars[position..<(position + candidate.scalars.count)].elementsEqual(candidate.scalars)
            }
            if let match {
                flushText(upTo: position)
                segments.append(.special(match.id))
                position += match.scalars.count
                textStart = position
            } else {
                position += 1
            }
        }
        flushText(upTo: scalars.count)
        return segments
    }
}
