/// ComfyUI's prompt emphasis syntax (`comfy/sd1_clip.py`): `(text)` multiplies the weight by 1.1
/// per nesting level, `(text:1.3)` sets it, `\(` and `\)` are literal parentheses. Square
/// brackets have no meaning in ComfyUI and stay literal text.
public enum PromptWeighting {
    public struct Segment: Equatable, Sendable {
        public var text: String
        public var weight: Double
    }

    /// The prompt split into runs of equal weight, in order, with escapes resolved.
    public static func segments(of prompt: String) -> [Segment] {
        weighted(escape([Unicode.Scalar](prompt))[...], weight: 1.0).map { scalars, weight in
            Segment(text: unescape(scalars).string, weight: weight)
        }
    }

    // Escaped parentheses become two-scalar sequences starting with NUL, invisible to the parser.
    private static let escapedClose: [Unicode.Scalar] = ["\0", "\u{1}"]
    private static let escapedOpen: [Unicode.Scalar] = ["\0", "\u{2}"]

    private static func escape(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        scalars.replacing(["\\", ")"], with: escapedClose).replacing(["\\", "("], with: escapedOpen)
    }

    private static func unescape(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        scalars.replacing(escapedClose, with: [")"]).replacing(escapedOpen, with: ["("])
    }

    private static func weighted(_ text: ArraySlice<Unicode.Scalar>, weight: Double) -> [([Unicode.Scalar], Double)] {
        var result: [([Unicode.Scalar], Double)] = []
        for group in topLevelGroups(text) {
            guard group.count >= 2, group.first == "(", group.last == ")" else {
                result.append((group, weight))
                continue
            }
            var inner = group[1..<(group.count - 1)]
            // Every group multiplies by 1.1 unless its own text ends in ":number".
            var innerWeight = weight * 1.1
            if let colon = inner.lastIndex(of: ":"), colon > inner.startIndex,
                let explicit = PythonText.float(Array(inner[(colon + 1)...]).string)
            {
                innerWeight = explicit
                inner = inner[..<colon]
            }
            result += weighted(inner, weight: innerWeight)
        }
        return result
    }

    /// Splits into text runs and top-level parenthesised groups. Like ComfyUI, a stray `)` drives
    /// the depth negative, and an unclosed `(` leaves the rest as one run.
    private static func topLevelGroups(_ text: ArraySlice<Unicode.Scalar>) -> [[Unicode.Scalar]] {
        var groups: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        var depth = 0
        for scalar in text {
            switch scalar {
            case "(":
                if depth == 0 {
                    if !current.isEmpty { groups.append(current) }
                    current = ["("]
                } else {
                    current.append(scalar)
                }
                depth += 1
            case ")":
                depth -= 1
                if depth == 0 {
                    groups.append(current + [")"])
                    current = []
                } else {
                    current.append(scalar)
                }
            default:
                current.append(scalar)
            }
        }
        if !current.isEmpty { groups.append(current) }
        return groups
    }
}
