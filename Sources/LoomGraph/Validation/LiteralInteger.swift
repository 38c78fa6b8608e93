/// An integer as Python's `int()` makes it from a workflow literal. ComfyUI accepts seeds up to 2⁶⁴−1 and
/// `int(1e300)` is a valid Python int, so range checks must see values beyond Swift's `Int` without trapping.
public enum LiteralInteger: Sendable, Hashable, Comparable, CustomStringConvertible {
    case int(Int)
    /// Above `Int.max`, within 64 unsigned bits.
    case unsigned(UInt64)
    /// Beyond 64 bits: the decimal digits of the magnitude, without leading zeros.
    case huge(negative: Bool, digits: String)

    /// The value from its decimal text (an optional sign and digits, Python's underscores allowed between digits).
    public init?(decimal text: String) {
        var body = Substring(text)
        var negative = false
        if let sign = body.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        guard let first = body.first, let last = body.last, first.isASCII, first.isNumber, last.isASCII, last.isNumber,
            !body.contains("__"), body.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "_" })
        else { return nil }
        var digits = String(body.filter { $0 != "_" }.drop { $0 == "0" })
        if digits.isEmpty { digits = "0" }
        self.init(negative: negative && digits != "0", digits: digits)
    }

    /// The integer part of a finite double, exactly, as Python's `int(x)` gives it.
    public init?(truncating value: Double) {
        guard value.isFinite else { return nil }
        let whole = value.rounded(.towardZero)
        if let exact = Int(exactly: whole) {
            self = .int(exact)
        } else if let exact = UInt64(exactly: whole) {
            self = .unsigned(exact)
        } else {
            self = .huge(negative: whole < 0, digits: Self.decimalDigits(ofIntegral: whole.magnitude))
        }
    }

    private init(negative: Bool, digits: String) {
        if let magnitude = UInt64(digits) {
            if !negative, let exact = Int(exactly: magnitude) {
                self = .int(exact)
            } else if !negative {
                self = .unsigned(magnitude)
            } else if magnitude <= UInt64(Int.max) + 1 {
                self = .int(magnitude == UInt64(Int.max) + 1 ? Int.min : -Int(magnitude))
            } else {
                self = .huge(negative: true, digits: digits)
            }
        } else {
            self = .huge(negative: negative, digits: digits)
        }
    }

    /// The value a node receives: an `Int`, with values above `Int.max` in their two's-complement bit pattern
    /// (`UInt64(bitPattern:)` recovers them). Nil beyond 64 bits.
    public var nodeValue: Int? {
        switch self {
        case .int(let value): value
        case .unsigned(let value): Int(truncatingIfNeeded: value)
        case .huge: nil
        }
    }

    /// The value in a JSON document; beyond 64 bits, as the nearest double.
    public var json: JSONValue {
        switch self {
        case .int(let value): .int(value)
        case .unsigned(let value): .unsignedInt(value)
        case .huge(let negative, let digits): .double((negative ? -1 : 1) * (Double(digits) ?? .infinity))
        }
    }

    public var description: String {
        switch self {
        case .int(let value): String(value)
        case .unsigned(let value): String(value)
        case .huge(let negative, let digits): (negative ? "-" : "") + digits
        }
    }

    /// Orders negative huge values, then Int, then unsigned, then positive huge values.
    public static func < (lhs: LiteralInteger, rhs: LiteralInteger) -> Bool {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)): return a < b
        case (.unsigned(let a), .unsigned(let b)): return a < b
        case (.huge(let aNegative, let a), .huge(let bNegative, let b)):
            if aNegative != bNegative { return aNegative }
            let magnitudeLess = a.count != b.count ? a.count < b.count : a < b
            let magnitudeGreater = a.count != b.count ? a.count > b.count : a > b
            return aNegative ? magnitudeGreater : magnitudeLess
        default: return lhs.rank < rhs.rank
        }
    }

    private var rank: Int {
        switch self {
        case .huge(negative: true, _): 0
        case .int: 1
        case .unsigned: 2
        case .huge: 3
        }
    }

    /// Exact decimal digits of an integral double at or above 2⁶⁴: its 53-bit significand shifted left in base
    /// 2³², then divided down in base 10⁹.
    static func decimalDigits(ofIntegral value: Double) -> String {
        let exponent = value.exponent - Double.significandBitCount
        let significand = value.significandBitPattern | (1 << Double.significandBitCount)
        var limbs = [UInt32(truncatingIfNeeded: significand), UInt32(truncatingIfNeeded: significand >> 32)]
        if exponent > 0 {
            let whole = exponent / 32
            let bits = UInt32(exponent % 32)
            limbs = Array(repeating: 0, count: whole) + limbs + [0]
            if bits > 0 {
                var carry: UInt32 = 0
                for index in whole..<limbs.count {
                    let shifted = (UInt64(limbs[index]) << bits) | UInt64(carry)
                    limbs[index] = UInt32(truncatingIfNeeded: shifted)
                    carry = UInt32(truncatingIfNeeded: shifted >> 32)
                }
            }
        }
        var chunks: [UInt32] = []
        while limbs.contains(where: { $0 != 0 }) {
            var remainder: UInt64 = 0
            for index in limbs.indices.reversed() {
                let current = (remainder << 32) | UInt64(limbs[index])
                limbs[index] = UInt32(current / 1_000_000_000)
                remainder = current % 1_000_000_000
            }
            chunks.append(UInt32(remainder))
            while limbs.last == 0 { limbs.removeLast() }
        }
        guard let leading = chunks.popLast() else { return "0" }
        return String(leading) + chunks.reversed().map { chunk in
            let text = String(chunk)
            return String(repeating: "0", count: 9 - text.count) + text
        }.joined()
    }
}
