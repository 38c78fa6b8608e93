/// Reads a SimpleMath+ expression with Python's grammar and precedence for the subset the node
/// evaluates: `or` < `and` < `not` < comparisons < `+ -` < `* / // %` < unary `-` < `**` < calls and
/// subscripts. Python syntax outside that subset is refused with the position it starts at.
///
/// Nesting (parentheses, calls, unary `-` and `not`) is limited to `maximumDepth` levels, as Python's parser
/// limits it, and an expression to `maximumSize` operations, so the tree it builds, evaluates and frees
/// recursively stays shallow.
struct MathExpressionParser {
    private let characters: [Character]
    private var position = 0
    private var depth = 0
    private var size = 0
    static let maximumDepth = 100
    static let maximumSize = 2000

    static func parse(_ text: String) throws(MathExpressionError) -> MathExpression {
        var parser = MathExpressionParser(characters: Array(text))
        parser.skipSpace()
        guard !parser.atEnd else { throw .syntax("empty expression", position: 0) }
        let expression = try parser.parseOr()
        parser.skipSpace()
        guard parser.atEnd else { throw .syntax("unexpected '\(parser.characters[parser.position])'", position: parser.position) }
        return expression
    }

    private init(characters: [Character]) {
        self.characters = characters
    }

    private var atEnd: Bool { position >= characters.count }

    private mutating func skipSpace() {
        while !atEnd, characters[position] == " " || characters[position] == "\t" { position += 1 }
    }

    /// Consumes `symbol` (after spaces) when it comes next; words must end at a word boundary.
    private mutating func accept(_ symbol: String) -> Bool {
        skipSpace()
        let symbolCharacters = Array(symbol)
        guard position + symbolCharacters.count <= characters.count,
            Array(characters[position..<position + symbolCharacters.count]) == symbolCharacters
        else { return false }
        let end = position + symbolCharacters.count
        if symbolCharacters[0].isLetter, end < characters.count, Self.isNameCharacter(characters[end]) { return false }
        position = end
        return true
    }

    private mutating func nextIs(_ character: Character) -> Bool {
        skipSpace()
        return !atEnd && characters[position] == character
    }

    private mutating func expect(_ symbol: String) throws(MathExpressionError) {
        guard accept(symbol) else { throw .syntax("expected '\(symbol)'", position: position) }
    }

    /// Enters one level of nesting (or, with `size` only, one more operation).
    private mutating func enter(nesting: Bool = true) throws(MathExpressionError) {
        size += 1
        if size > Self.maximumSize {
            throw .syntax("expression is too long (more than \(Self.maximumSize) operations)", position: position)
        }
        guard nesting else { return }
        depth += 1
        if depth > Self.maximumDepth {
            throw .syntax("expression nests deeper than \(Self.maximumDepth) levels", position: position)
        }
    }

    private mutating func parseOr() throws(MathExpressionError) -> MathExpression {
        try enter()
        defer { depth -= 1 }
        var operands = [try parseAnd()]
        while accept("or") { operands.append(try parseAnd()) }
        return operands.count == 1 ? operands[0] : .logical(.or, operands)
    }

    private mutating func parseAnd() throws(MathExpressionError) -> MathExpression {
        var operands = [try parseNot()]
        while accept("and") {
            try enter(nesting: false)
            operands.append(try parseNot())
        }
        return operands.count == 1 ? operands[0] : .logical(.and, operands)
    }

    private mutating func parseNot() throws(MathExpressionError) -> MathExpression {
        guard accept("not") else { return try parseComparison() }
        try enter()
        defer { depth -= 1 }
        return .not(try parseNot())
    }

    private mutating func parseComparison() throws(MathExpressionError) -> MathExpression {
        let first = try parseSum()
        var rest = [(MathExpression.ComparisonOperator, MathExpression)]()
        // Two-character operators first, so `<=` is not read as `<`.
        let operators: [MathExpression.ComparisonOperator] = [.equal, .notEqual, .lessOrEqual, .greaterOrEqual, .less, .greater]
        while let op = operators.first(where: { accept($0.rawValue) }) {
            try enter(nesting: false)
            rest.append((op, try parseSum()))
        }
        return rest.isEmpty ? first : .comparison(first: first, rest)
    }

    private mutating func parseSum() throws(MathExpressionError) -> MathExpression {
        var expression = try parseTerm()
        while true {
            if accept("+") { try enter(nesting: false); expression = .binary(.add, expression, try parseTerm()) }
            else if accept("-") { try enter(nesting: false); expression = .binary(.subtract, expression, try parseTerm()) }
            else { return expression }
        }
    }

    private mutating func parseTerm() throws(MathExpressionError) -> MathExpression {
        var expression = try parseUnary()
        while true {
            let op: MathExpression.BinaryOperator
            if accept("//") { op = .floorDivide }
            else if accept("/") { op = .divide }
            else if accept("*") { op = .multiply }
            else if accept("%") { op = .modulo }
            else { return expression }
            try enter(nesting: false)
            expression = .binary(op, expression, try parseUnary())
        }
    }

    private mutating func parseUnary() throws(MathExpressionError) -> MathExpression {
        if accept("-") {
            try enter()
            defer { depth -= 1 }
            return .negation(try parseUnary())
        }
        skipSpace()
        if !atEnd, characters[position] == "+" || characters[position] == "~" {
            throw .syntax("unary '\(characters[position])' is not allowed", position: position)
        }
        return try parsePower()
    }

    private mutating func parsePower() throws(MathExpressionError) -> MathExpression {
        let base = try parsePostfix()
        // Right-associative, and the exponent may carry its own unary minus: 2 ** -1.
        guard accept("**") else { return base }
        try enter()
        defer { depth -= 1 }
        return .binary(.power, base, try parseUnary())
    }

    private mutating func parsePostfix() throws(MathExpressionError) -> MathExpression {
        var expression = try parseAtom()
        while true {
            if nextIs("(") || nextIs("[") { try enter(nesting: false) }
            if accept("(") {
                guard case .name(let function) = expression else {
                    throw .syntax("only named functions can be called", position: position - 1)
                }
                var arguments = [MathExpression]()
                while !accept(")") {
                    arguments.append(try parseOr())
                    if accept("=") { throw .syntax("keyword arguments are not allowed", position: position - 1) }
                    if !accept(",") {
                        try expect(")")
                        break
                    }
                }
                expression = .call(function: function, arguments: arguments)
            } else if accept("[") {
                // Slices parse, but like any non-constant subscript they evaluate to 0.
                var index: MathExpression?
                var isSlice = false
                if !nextIs(":") { index = try parseOr() }
                while accept(":") {
                    isSlice = true
                    if !nextIs(":") && !nextIs("]") { _ = try parseOr() }
                }
                try expect("]")
                // Only a bare constant is used as an index; anything else (even `-1`) gives 0.
                if !isSlice, case .number(let value)? = index {
                    expression = .subscripted(expression, index: value)
                } else {
                    expression = .subscripted(expression, index: nil)
                }
            } else {
                return expression
            }
        }
    }

    private mutating func parseAtom() throws(MathExpressionError) -> MathExpression {
        skipSpace()
        guard !atEnd else { throw .syntax("unexpected end of expression", position: position) }
        let character = characters[position]
        if accept("(") {
            let inner = try parseOr()
            if accept(",") { throw .syntax("tuples are not allowed", position: position - 1) }
            try expect(")")
            return inner
        }
        if character.isNumber || character == "." { return try parseNumber() }
        if character == "'" || character == "\"" {
            try skipString(quote: character)
            return .unhandled
        }
        if Self.isNameCharacter(character) {
            let start = position
            while !atEnd, Self.isNameCharacter(characters[position]) { position += 1 }
            let name = String(characters[start..<position])
            switch name {
            case "True", "False", "None": return .unhandled
            case "and", "or", "not", "if", "else", "in", "is", "lambda", "for":
                throw .syntax("unexpected '\(name)'", position: start)
            default: return .name(name)
            }
        }
        throw .syntax("unexpected '\(character)'", position: position)
    }

    /// A Python integer or float literal: decimal with `_` separators and exponents, or 0x/0o/0b.
    private mutating func parseNumber() throws(MathExpressionError) -> MathExpression {
        let start = position
        while !atEnd, characters[position].isLetter || characters[position].isNumber || characters[position] == "_"
            || characters[position] == "."
            || ((characters[position] == "+" || characters[position] == "-")
                && (characters[position - 1] == "e" || characters[position - 1] == "E")
                && !String(characters[start..<position]).lowercased().hasPrefix("0x"))
        {
            position += 1
        }
        let literal = String(characters[start..<position])
        let digits = literal.replacingOccurrences(of: "_", with: "")
        let lowered = digits.lowercased()
        let bad = MathExpressionError.syntax("invalid number '\(literal)'", position: start)
        guard !literal.hasSuffix("_"), !literal.contains("__") else { throw bad }
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where lowered.hasPrefix(prefix) {
            guard let value = Int(lowered.dropFirst(2), radix: radix) else { throw bad }
            return .number(.int(value))
        }
        if lowered.hasSuffix("j") { throw .syntax("complex numbers are not allowed", position: start) }
        if !lowered.contains("."), !lowered.contains("e") {
            // Python refuses leading zeros such as 007, except for 0 itself.
            guard lowered.allSatisfy(\.isNumber), !(lowered.count > 1 && lowered.hasPrefix("0") && lowered.contains { $0 != "0" })
            else { throw bad }
            guard let value = Int(lowered) else { throw .syntax("integer '\(literal)' is too large", position: start) }
            return .number(.int(value))
        }
        guard lowered.allSatisfy({ $0.isNumber || $0 == "." || $0 == "e" || $0 == "+" || $0 == "-" }),
            let value = Double(lowered)
        else { throw bad }
        return .number(.float(value))
    }

    private mutating func skipString(quote: Character) throws(MathExpressionError) {
        let start = position
        position += 1
        while !atEnd, characters[position] != quote {
            position += characters[position] == "\\" ? 2 : 1
        }
        guard !atEnd else { throw .syntax("unterminated string", position: start) }
        position += 1
    }

    private static func isNameCharacter(_ character: Character) -> Bool {
        character == "_" || character.isLetter || character.isNumber
    }
}
