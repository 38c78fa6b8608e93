/// The parts of a SentencePiece `ModelProto` (`spiece.model`) a unigram tokenizer needs.
struct SentencePieceModel {
    enum PieceType: Int {
        case normal = 1, unknown, control, userDefined, unused, byte
    }

    struct Piece {
        var text: String
        var score: Float
        var type: PieceType
    }

    var pieces: [Piece] = []
    var isUnigram = true
    var byteFallback = false
    var precompiledCharsMap: [UInt8] = []
    var addsDummyPrefix = true

    // Field numbers from sentencepiece_model.proto.
    private enum Field {
        static let pieces = 1, trainerSpec = 2, normalizerSpec = 3
        static let pieceText = 1, pieceScore = 2, pieceType = 3
        static let modelType = 3, byteFallback = 35
        static let charsMap = 2, addDummyPrefix = 3
    }

    init(bytes: [UInt8]) throws(SentencePieceModelError) {
        var reader = ProtobufReader(bytes[...])
        while let (field, value) = try reader.next() {
            guard case .bytes(let message) = value else { continue }
            switch field {
            case Field.pieces: pieces.append(try Self.piece(message))
            case Field.trainerSpec: try readTrainerSpec(message)
            case Field.normalizerSpec: try readNormalizerSpec(message)
            default: break
            }
        }
        guard !pieces.isEmpty else { throw .noPieces }
    }

    private static func piece(_ message: ArraySlice<UInt8>) throws(SentencePieceModelError) -> Piece {
        var piece = Piece(text: "", score: 0, type: .normal)
        var reader = ProtobufReader(message)
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (Field.pieceText, .bytes(let text)): piece.text = String(decoding: text, as: UTF8.self)
            case (Field.pieceScore, .fixed32(let bits)): piece.score = Float(bitPattern: bits)
            case (Field.pieceType, .varint(let type)): piece.type = PieceType(rawValue: Int(type)) ?? .normal
            default: break
            }
        }
        return piece
    }

    private mutating func readTrainerSpec(_ message: ArraySlice<UInt8>) throws(SentencePieceModelError) {
        var reader = ProtobufReader(message)
        while let (field, value) = try reader.next() {
            guard case .varint(let number) = value else { continue }
            if field == Field.modelType { isUnigram = number == 1 }
            if field == Field.byteFallback { byteFallback = number != 0 }
        }
    }

    private mutating func readNormalizerSpec(_ message: ArraySlice<UInt8>) throws(SentencePieceModelError) {
        var reader = ProtobufReader(message)
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (Field.charsMap, .bytes(let map)): precompiledCharsMap = Array(map)
            case (Field.addDummyPrefix, .varint(let flag)): addsDummyPrefix = flag != 0
            default: break
            }
        }
    }
}

public enum SentencePieceModelError: Error, Equatable, CustomStringConvertible {
    case truncated
    case unsupportedWireType(Int)
    case noPieces

    public var description: String {
        switch self {
        case .truncated: "the SentencePiece model ends in the middle of a field"
        case .unsupportedWireType(let type): "the SentencePiece model uses protobuf wire type \(type), which is not supported"
        case .noPieces: "the SentencePiece model has no vocabulary pieces"
        }
    }
}
