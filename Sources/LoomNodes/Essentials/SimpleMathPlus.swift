import Foundation
import LoomGraph
import LoomImaging

/// ComfyUI_essentials' "SimpleMath+": evaluates a Python-syntax arithmetic expression over `a`, `b`
/// and `c` and returns it rounded (half to even) as INT and as it is as FLOAT.
///
/// Images and masks enter as their shape (`[batch, height, width, channels]` and
/// `[batch, height, width]`), so `a[2]` is an image's width; strings are parsed as floats.
public struct SimpleMathPlus: CPUNode {
    static let variables = ["a", "b", "c"]

    public static let schema = NodeSchema(
        name: "SimpleMath+", displayName: "🔧 Simple Math", category: "essentials/utilities",
        inputs: [.string("value", default: "")] + variables.map { .link($0, "*", section: .optional) },
        outputs: [OutputSpec("INT"), OutputSpec("FLOAT")],
        pythonModule: Essentials.pythonModule)

    public init() {}

    public func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult {
        var variables = [String: MathValue]()
        for name in Self.variables {
            let value = try inputs.optional(name, as: NodeValue.self)
            variables[name] = try value.map { try Self.mathValue($0, input: name) } ?? .float(0)
        }
        let expression = try inputs("value", as: String.self)
        let (integer, real) = try Self.evaluate(expression, variables: variables)
        return NodeResult([integer, real])
    }

    /// The INT and FLOAT outputs of `expression`; a NaN result counts as 0.0, as in the node.
    static func evaluate(_ expression: String, variables: [String: MathValue]) throws(NodeError) -> (Int, Double) {
        do {
            let result = try MathExpressionParser.parse(expression).evaluate(variables)
            guard let real = result.real else {
                throw MathExpressionError.evaluation("the result is a \(result.typeName), not a number")
            }
            if real.isNaN { return (0, 0) }
            guard case .int(let integer) = try MathBuiltin.round(result, digits: nil) else {
                throw MathExpressionError.evaluation("the result does not round to an integer")
            }
            return (integer, real)
        } catch {
            // A long expression is cut, so the message stays one readable line.
            let shown = expression.count > 80 ? "\(expression.prefix(80))… (\(expression.count) characters)" : expression
            throw NodeError(schema.name, "value '\(shown)': \(error)")
        }
    }

    static func mathValue(_ value: NodeValue, input: String) throws -> MathValue {
        switch value {
        case let int as Int: return .int(int)
        case let double as Double: return .float(double)
        case let bool as Bool: return .bool(bool)
        case let string as String:
            guard let number = Double(string.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: ""))
            else { throw NodeError(schema.name, "\(input): could not convert string to float: '\(string)'") }
            return .float(number)
        case let image as Image:
            return .list([image.batchCount, image.height, image.width, image.channels].map(MathValue.int))
        case let mask as Mask:
            return .list([mask.batchCount, mask.height, mask.width].map(MathValue.int))
        case let literal as JSONValue:
            return try mathValue(literal, input: input)
        default:
            throw NodeError(schema.name, "\(input): \(NodeInputs.describe(value)) cannot be used in an expression")
        }
    }

    /// A literal list (`{"__value__": [...]}`) is a Python list to the node: its numbers can be indexed and summed.
    static func mathValue(_ literal: JSONValue, input: String) throws -> MathValue {
        switch literal {
        case .int(let int): return .int(int)
        case .double(let double): return .float(double)
        case .bool(let bool): return .bool(bool)
        case .string(let string): return try mathValue(string, input: input)
        case .array(let items): return .list(try items.map { try mathValue($0, input: input) })
        default:
            throw NodeError(schema.name, "\(input): \(NodeInputs.describe(literal)) cannot be used in an expression")
        }
    }
}
