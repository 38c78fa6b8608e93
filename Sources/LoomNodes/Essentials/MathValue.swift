import Foundation

/// A value inside a SimpleMath+ expression, with Python's numeric semantics: `bool` counts as an
/// integer, `/` always gives a float, `//` and `%` round towards negative infinity.
enum MathValue: Sendable, Equatable {
    case int(Int)
    case float(Double)
    case bool(Bool)
    /// A tensor's shape (`list(x.shape)`), which expressions index, measure and sum.
    case list([MathValue])
    /// What the node's evaluator gives for unknown names and functions; any use of it is an error.
    case none

    var typeName: String {
        switch self {
        case .int: "int"
        case .float: "float"
        case .bool: "bool"
        case .list: "list"
        case .none: "NoneType"
        }
    }

    var isTruthy: Bool {
        switch self {
        case .int(let value): value != 0
        case .float(let value): value != 0
        case .bool(let value): value
        case .list(let values): !values.isEmpty
        case .none: false
        }
    }

    /// An integer (bools included) or nil.
    var integer: Int? {
        switch self {
        case .int(let value): value
        case .bool(let value): value ? 1 : 0
        default: nil
        }
    }

    /// Any number as a double, or nil.
    var real: Double? {
        if case .float(let value) = self { return value }
        return integer.map(Double.init)
    }
}

/// Python's arithmetic on `MathValue`s; every failure is the TypeError, ZeroDivisionError or
/// OverflowError Python would raise, as a message.
extension MathValue {
    static func add(_ left: MathValue, _ right: MathValue) throws(MathExpressionError) -> MathValue {
        if case .list(let first) = left, case .list(let second) = right {
            guard first.count + second.count <= maximumListLength else {
                throw .evaluation("list + list would hold more than \(maximumListLength) elements")
            }
            return .list(first + second)
        }
        return try arithmetic("+", left, right, integer: { $0.addingReportingOverflow($1) }, real: +)
    }

    static func subtract(_ left: MathValue, _ right: MathValue) throws(MathExpressionError) -> MathValue {
        try arithmetic("-", left, right, integer: { $0.subtractingReportingOverflow($1) }, real: -)
    }

    static func multiply(_ left: MathValue, _ right: MathValue) throws(MathExpressionError) -> MathValue {
        if case .list(let values) = left, let count = right.integer { return .list(try repeated(values, count)) }
        if case .list(let values) = right, let count = left.integer { return .list(try repeated(values, count)) }
        return try arithmetic("*", left, right, integer: { $0.multipliedReportingOverflow(by: $1) }, real: *)
    }

    static func divide(_ left: MathValue, _ right: MathValue) throws(MathExpressionError) -> MathValue {
        guard let dividend = left.real, let divisor = right.real else { throw unsupported("/", left, right) }
        guard divisor != 0 else { throw .evaluation("division by zero") }
        return .float(dividend / divisor)
    }

    static func floorDivide(_ left: MathValue, _ right: MathValue) throws(MathExpressionError) -> MathValue {
        if let dividend = left.integer, let divisor = right.integer {
            guard divisor != 0 else { throw .evaluation("integer division or modulo by zero") }
            guard !(dividend == .min && divisor == -1) else { throw .evaluation("integer result too large") }
            let quotient = dividend / divisor
            return .int(dividend % divisor != 0 && (dividend < 0) != (divisor < 0) ? quotient - 1 : quotient)
        }
        guard let dividend = left.real, let divisor = right.real else { throw unsupported("//", left, right) }
        guard divisor != 0 else { throw .evaluation("float floor division by zero") }
        return .float(pythonFloatDivMod(dividend, divisor).quotient)
    }

    static func modulo(_ left: MathValue, _ right: MathValue) throws(MathExpressionError) -> MathValue {
        if let dividend = left.integer, let divisor = right.integer {
            guard divisor != 0 else { throw .evaluation("integer division or modulo by zero") }
            guard divisor != -1 else { return .int(0) }
            let remainder = dividend % divisor
            return .int(remainder != 0 && (remainder < 0) != (divisor < 0) ? remainder + divisor : remainder)
        }
        guard let dividend = left.real, let divisor = right.real else { throw unsupported("%", left, right) }
        guard divisor != 0 else { throw .evaluation("float modulo") }
        return .float(pythonFloatDivMod(dividend, divisor).remainder)
    }

    static func power(_ left: MathValue, _ right: MathValue) throws(MathExpressionError) -> MathValue {
        if let base = left.integer, let exponent = right.integer, exponent >= 0 {
            var result = 1, factor = base, remaining = exponent
            // Square-and-multiply with overflow checks: Python's integers are unbounded, Loom's are 64-bit.
            while remaining > 0 {
                if remaining & 1 == 1 {
                    let (product, overflow) = result.multipliedReportingOverflow(by: factor)
                    guard !overflow else { throw .evaluation("integer result too large") }
                    result = product
                }
                remaining >>= 1
                if remaining > 0 {
                    let (square, overflow) = factor.multipliedReportingOverflow(by: factor)
                    guard !overflow else { throw .evaluation("integer result too large") }
                    factor = square
                }
            }
            return .int(result)
        }
        guard let base = left.real, let exponent = right.real else { throw unsupported("** or pow()", left, right) }
        if base == 0 && exponent < 0 { throw .evaluation("0.0 cannot be raised to a negative power") }
        if base < 0 && exponent.isFinite && exponent != exponent.rounded() {
            throw .evaluation("\(base) ** \(exponent) is a complex number")
        }
        let result = Foundation.pow(base, exponent)
        if result.isInfinite && base.isFinite && exponent.isFinite { throw .evaluation("numerical result out of range") }
        return .float(result)
    }

    static func negate(_ value: MathValue) throws(MathExpressionError) -> MathValue {
        switch value {
        case .float(let number): return .float(-number)
        case .int, .bool:
            let (result, overflow) = 0.subtractingReportingOverflow(value.integer!)
            guard !overflow else { throw .evaluation("integer result too large") }
            return .int(result)
        default: throw .evaluation("bad operand type for unary -: '\(value.typeName)'")
        }
    }

    /// `==` as Python: numbers by value whatever their kind, lists element by element.
    static func equal(_ left: MathValue, _ right: MathValue) -> Bool {
        switch (left, right) {
        case (.list(let first), .list(let second)):
            first.count == second.count && zip(first, second).allSatisfy { equal($0, $1) }
        case (.none, .none): true
        default:
            if let first = left.integer, let second = right.integer { first == second }
            else if let first = left.real, let second = right.real { first == second }
            else { false }
        }
    }

    /// `<` as Python: numbers, or lists lexicographically; anything else is a TypeError.
    static func less(_ left: MathValue, _ right: MathValue, symbol: String) throws(MathExpressionError) -> Bool {
        if case .list(let first) = left, case .list(let second) = right {
            for (a, b) in zip(first, second) where !equal(a, b) { return try less(a, b, symbol: symbol) }
            return first.count < second.count
        }
        if let first = left.integer, let second = right.integer { return first < second }
        guard let first = left.real, let second = right.real else {
            throw .evaluation("'\(symbol)' not supported between instances of '\(left.typeName)' and '\(right.typeName)'")
        }
        return first < second
    }

    private static func arithmetic(
        _ symbol: String, _ left: MathValue, _ right: MathValue,
        integer: (Int, Int) -> (partialValue: Int, overflow: Bool), real: (Double, Double) -> Double
    ) throws(MathExpressionError) -> MathValue {
        if let first = left.integer, let second = right.integer {
            let (result, overflow) = integer(first, second)
            guard !overflow else { throw .evaluation("integer result too large") }
            return .int(result)
        }
        guard let first = left.real, let second = right.real else { throw unsupported(symbol, left, right) }
        return .float(real(first, second))
    }

    private static func unsupported(_ symbol: String, _ left: MathValue, _ right: MathValue) -> MathExpressionError {
        .evaluation("unsupported operand type(s) for \(symbol): '\(left.typeName)' and '\(right.typeName)'")
    }

    /// The longest list `list * n` may build; Python would exhaust the machine's memory instead.
    static let maximumListLength = 1 << 20

    private static func repeated(_ values: [MathValue], _ count: Int) throws(MathExpressionError) -> [MathValue] {
        guard count > 0, !values.isEmpty else { return [] }
        guard count <= maximumListLength / values.count else {
            throw .evaluation("list * \(count) would hold more than \(maximumListLength) elements")
        }
        return Array([[MathValue]](repeating: values, count: count).joined())
    }

    /// CPython's `float_divmod`: the remainder takes the divisor's sign and the quotient is floored.
    private static func pythonFloatDivMod(_ dividend: Double, _ divisor: Double) -> (quotient: Double, remainder: Double) {
        var remainder = fmod(dividend, divisor)
        var quotient = (dividend - remainder) / divisor
        if remainder != 0 {
            if (divisor < 0) != (remainder < 0) {
                remainder += divisor
                quotient -= 1
            }
        } else {
            remainder = copysign(0, divisor)
        }
        var floored: Double
        if quotient != 0 {
            floored = quotient.rounded(.down)
            if quotient - floored > 0.5 { floored += 1 }
        } else {
            floored = copysign(0, dividend / divisor)
        }
        return (floored, remainder)
    }
}
