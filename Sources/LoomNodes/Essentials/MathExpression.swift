import Foundation

/// A parsed SimpleMath+ expression, evaluated as ComfyUI_essentials' `ast`-walking evaluator does,
/// quirks included: comparison chains compare every operand with the first, `and`/`or` take exactly
/// two operands and return one of them, and constructs it does not know evaluate to 0.
indirect enum MathExpression: Sendable {
    case number(MathValue)
    /// A syntax the node's evaluator does not handle (strings, `True`, slices, `-1` as an index...): 0.
    case unhandled
    case name(String)
    case binary(BinaryOperator, MathExpression, MathExpression)
    case negation(MathExpression)
    case not(MathExpression)
    /// Every comparison is made against `first`, not against the previous operand.
    case comparison(first: MathExpression, [(ComparisonOperator, MathExpression)])
    case logical(LogicalOperator, [MathExpression])
    case call(function: String, arguments: [MathExpression])
    /// `index` is nil when the subscript is not a plain constant, which evaluates to 0.
    case subscripted(MathExpression, index: MathValue?)

    enum BinaryOperator: String, Sendable {
        case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%", power = "**"
    }

    enum ComparisonOperator: String, Sendable {
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    }

    enum LogicalOperator: String, Sendable {
        case and, or
    }

    /// The value with `a`, `b`, `c` bound; other names are None.
    func evaluate(_ variables: [String: MathValue]) throws(MathExpressionError) -> MathValue {
        switch self {
        case .number(let value): return value
        case .unhandled: return .int(0)
        case .name(let name): return variables[name] ?? MathValue.none
        case .binary(let op, let left, let right):
            let first = try left.evaluate(variables), second = try right.evaluate(variables)
            switch op {
            case .add: return try MathValue.add(first, second)
            case .subtract: return try MathValue.subtract(first, second)
            case .multiply: return try MathValue.multiply(first, second)
            case .divide: return try MathValue.divide(first, second)
            case .floorDivide: return try MathValue.floorDivide(first, second)
            case .modulo: return try MathValue.modulo(first, second)
            case .power: return try MathValue.power(first, second)
            }
        case .negation(let operand): return try MathValue.negate(operand.evaluate(variables))
        case .not(let operand): return .bool(!(try operand.evaluate(variables).isTruthy))
        case .comparison(let first, let rest):
            let left = try first.evaluate(variables)
            for (op, operand) in rest {
                let right = try operand.evaluate(variables)
                let holds: Bool
                switch op {
                case .equal: holds = MathValue.equal(left, right)
                case .notEqual: holds = !MathValue.equal(left, right)
                case .less: holds = try MathValue.less(left, right, symbol: op.rawValue)
                case .greater: holds = try MathValue.less(right, left, symbol: op.rawValue)
                case .lessOrEqual:
                    let less = try MathValue.less(left, right, symbol: op.rawValue)
                    holds = less || MathValue.equal(left, right)
                case .greaterOrEqual:
                    let greater = try MathValue.less(right, left, symbol: op.rawValue)
                    holds = greater || MathValue.equal(left, right)
                }
                if !holds { return .int(0) }
            }
            return .int(1)
        case .logical(let op, let operands):
            var values = [MathValue]()
            for operand in operands { values.append(try operand.evaluate(variables)) }
            // The node maps `and`/`or` to two-argument lambdas, so `x and y and z` is a TypeError.
            guard values.count == 2 else {
                throw .evaluation("'\(op.rawValue)' takes exactly two operands here (\(values.count) given)")
            }
            switch op {
            case .and: return values[0].isTruthy ? values[1] : values[0]
            case .or: return values[0].isTruthy ? values[0] : values[1]
            }
        case .call(let function, let arguments):
            guard let builtin = MathBuiltin(rawValue: function) else { return MathValue.none }
            var values = [MathValue]()
            for argument in arguments { values.append(try argument.evaluate(variables)) }
            return try builtin.apply(values)
        case .subscripted(let base, let index):
            let value = try base.evaluate(variables)
            guard let index else { return .int(0) }
            guard case .list(let elements) = value else {
                throw .evaluation("'\(value.typeName)' object is not subscriptable")
            }
            guard let position = index.integer else {
                throw .evaluation("list indices must be integers, not \(index.typeName)")
            }
            let resolved = position < 0 ? position + elements.count : position
            guard elements.indices.contains(resolved) else { throw .evaluation("list index out of range") }
            return elements[resolved]
        }
    }
}
