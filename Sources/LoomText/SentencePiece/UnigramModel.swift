import Foundation

/// SentencePiece's unigram language model segmentation: the Viterbi path of highest total piece
/// score, as Hugging Face tokenizers' `Unigram` model computes it (unknown characters score
/// `min score − 10`, runs of unknowns fuse into one unknown token, optional byte fallback).
struct UnigramModel: Sendable {
    private let ids: [[Unicode.Scalar]: Int]
    private let scores: [Double]
    private let unknownID: Int
    private let byteFallback: Bool
    private let longestPiece: Int
    private let unknownScore: Double

    init(pieces: [(text: String, score: Double)], unknownID: Int, byteFallback: Bool) {
        var ids: [[Unicode.Scalar]: Int] = [:]
        for (id, piece) in pieces.enumerated() where ids[Array(piece.text)] == nil { ids[Array(piece.text)] = id }
        self.ids = ids
        self.scores = pieces.map(\.score)
        self.unknownID = unknownID
        self.byteFallback = byteFallback
        self.longestPiece = pieces.map { $0.text.unicodeScalars.count }.max() ?? 1
        self.unknownScore = (scores.min() ?? 0) - 10
    }

    /// Ids run from 0 to one less than this.
    var pieceCount: Int { scores.count }

    func encode(_ word: String) -> [Int] {
        let scalars = Array(word.unicodeScalars)
        guard !scalars.isEmpty else { return [] }
        // best[end]: the best path covering scalars[..<end], as (score, start of its last piece, piece id).
        var best = [(score: Double, start: Int, id: Int)?](repeating: nil, count: scalars.count + 1)
        best[0] = (0, 0, -1)
        for start in 0..<scalars.count {
            guard let reached = best[start]?.score else { continue }
            var coversOneScalar = false
            for end in (start + 1)...min(scalars.count, start + longestPiece) {
                guard let id = ids[Array(scalars[start..<end])] else { continue }
                if end == start + 1 { coversOneScalar = true }
                let score = reached + scores[id]
                if best[end] == nil || score > best[end]!.score { best[end] = (score, start, id) }
            }
            if !coversOneScalar {
                let score = reached + unknownScore
                if best[start + 1] == nil || score > best[start + 1]!.score { best[start + 1] = (score, start, unknownID) }
            }
        }

        var pieces: [(text: [Unicode.Scalar], isUnknown: Bool)] = []
        var end = scalars.count
        while end > 0, let node = best[end] {
            let text = Array(scalars[node.start..<end])
            let isUnknown = node.id == unknownID
            if isUnknown, let last = pieces.last, last.isUnknown {
                pieces[pieces.count - 1].text = text + last.text
            } else {
                pieces.append((text, isUnknown))
            }
            end = node.start
        }
        return pieces.reversed().flatMap { piece in id(of: piece.text) }
    }

    private func id(of piece: [Unicode.Scalar]) -> [Int] {
        if let id = ids[piece] { return [id] }
        if byteFallback {
            let bytes = piece.string.utf8.map { ids[Array(String(format: "<0x%02X>", $0))] }
            if bytes.allSatisfy({ $0 != nil }) { return bytes.compactMap { $0 } }
        }
        return [unknownID]
    }
}
