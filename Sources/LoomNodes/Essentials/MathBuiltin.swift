import Foundation

/// The functions SimpleMath+ expressions may call, with Python's built-in semantics.
enum MathBuiltin: String, Sendable {
    case min, max, round, sum, len

    func apply(_ arguments: [MathValue]) throws(MathExpressionError) -> MathValue {
        switch self {
        case .min, .max:
            var candidates = arguments
            if arguments.count == 1 {
                guard case .list(let elements) = arguments[0] else {
                    throw .evaluation("'\(arguments[0].typeName)' object is not iterable")
                }
                candidates = elements
            }
            guard var best = candidates.first else {
                throw .evaluation(arguments.isEmpty
                    ? "\(rawValue) expected at least 1 argument, got 0" : "\(rawValue)() arg is an empty sequence")
            }
            // Python keeps the first of equal extremes.
            for candidate in candidates.dropFirst() {
                let better = self == .min
                    ? try MathValue.less(candidate, best, symbol: "<") : try MathValue.less(best, candidate, symbol: ">")
                if better { best = candidate }
            }
            return best
        case .round:
            guard (1...2).contains(arguments.count) else {
                throw .evaluation("round() takes 1 or 2 arguments (\(arguments.count) given)")
            }
            return try Self.round(arguments[0], digits: arguments.count == 2 ? arguments[1] : nil)
        case .sum:
            guard (1...2).contains(arguments.count) else {
                throw .evaluation("sum() takes 1 or 2 arguments (\(arguments.count) given)")
            }
            guard case .list(let elements) = arguments[0] else {
                throw .evaluation("'\(arguments[0].typeName)' object is not iterable")
            }
            var total = arguments.count == 2 ? arguments[1] : .int(0)
            for element in elements { total = try MathValue.add(total, element) }
            return total
        case .len:
            guard arguments.count == 1 else { throw .evaluation("len() takes exactly one argument (\(arguments.count) given)") }
            guard case .list(let elements) = arguments[0] else {
                throw .evaluation("object of type '\(arguments[0].typeName)' has no len()")
            }
            return .int(elements.count)
        }
    }

    /// Python's `round`: halves to even, an integer without `digits`, a float of the same kind with them.
    static func round(_ value: MathValue, digits: MathValue?) throws(MathExpressionError) -> MathValue {
        guard let digits else {
            if let integer = value.integer { return .int(integer) }
            guard case .float(let number) = value else {
                throw .evaluation("type \(value.typeName) doesn't define __round__ method")
            }
            guard !number.isNaN else { throw .evaluation("cannot convert float NaN to integer") }
            let rounded = number.rounded(.toNearestOrEven)
            guard let integer = Int(exactly: rounded) else { throw .evaluation("cannot convert float infinity to integer") }
            return .int(integer)
        }
        guard let places = digits.integer else {
            throw .evaluation("'\(digits.typeName)' object cannot be interpreted as an integer")
        }
        if let integer = value.integer {
            guard places < 0 else { return .int(integer) }
            guard places > -19 else { return .int(0) }
            let unit = (0..<(-places)).reduce(1) { product, _ in product * 10 }
            // Floored division keeps the remainder in 0..<unit, so halving it cannot overflow.
            let (quotient, remainder) = integer.quotientAndRemainder(dividingBy: unit)
            var floored = remainder < 0 ? quotient - 1 : quotient
            let rest = remainder < 0 ? remainder + unit : remainder
            if rest > unit - rest || (rest == unit - rest && floored % 2 != 0) { floored += 1 }
            let (rounded, overflow) = floored.multipliedReportingOverflow(by: unit)
            guard !overflow else { throw .evaluation("integer result too large") }
            return .int(rounded)
        }
        guard case .float(let number) = value else {
            throw .evaluation("type \(value.typeName) doesn't define __round__ method")
        }
        guard number.isFinite else { return .float(number) }
        if places >= 0 {
            // printf rounds the exact binary value half to even, as CPython's dtoa-based round does.
            let text = String(format: "%.\(Swift.min(places, 330))f", number)
            return .float(Double(text) ?? number)
        }
        let unit = Foundation.pow(10, Double(-places))
        return .float((number / unit).rounded(.toNearestOrEven) * unit)
    }
}
