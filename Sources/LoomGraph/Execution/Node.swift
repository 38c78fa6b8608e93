/// A value flowing along a link: an image, a model, a number. The graph layer never looks inside.
public typealias NodeValue = any Sendable

/// A node class: its schema as data and what it does.
///
/// An instance is created once per (node id, class) and kept between prompts, as ComfyUI keeps them,
/// so a node may hold state such as a loaded model handle.
public protocol Node: Sendable {
    static var schema: NodeSchema { get }

    init()

    func execute(_ inputs: NodeInputs, context: NodeContext) async throws -> NodeResult

    /// ComfyUI's `IS_CHANGED`: computed from literal inputs only; the cache re-uses an output
    /// only while the fingerprint stays the same.
    static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint

    /// ComfyUI's `VALIDATE_INPUTS`: a message when literal inputs are unacceptable.
    /// Nodes that validate this way skip the built-in range and choice checks for `checkedInputs`.
    static func validate(_ inputs: NodeInputs, resources: Resources) -> String?
    static var checkedInputs: Set<String> { get }

    /// ComfyUI's `check_lazy_status`: the lazy inputs still needed, given those evaluated so far.
    func neededLazyInputs(_ inputs: NodeInputs, context: NodeContext) async throws -> [String]

    /// A node whose output differs between runs with the same inputs is never served from cache.
    static var isIdempotent: Bool { get }

    /// Work that does not compete for the GPU (file loading, PNG encoding, CPU image operations) may run
    /// beside other nodes. Everything else runs one at a time.
    static var runsConcurrently: Bool { get }
}

extension Node {
    public static func fingerprint(_ inputs: NodeInputs, resources: Resources) throws -> Fingerprint { .constant }
    public static func validate(_ inputs: NodeInputs, resources: Resources) -> String? { nil }
    public static var checkedInputs: Set<String> { [] }
    public static var isIdempotent: Bool { true }
    public static var runsConcurrently: Bool { false }

    public func neededLazyInputs(_ inputs: NodeInputs, context: NodeContext) async throws -> [String] {
        Self.schema.inputs.filter { $0.isLazy && !inputs.has($0.name) && inputs.isLinked($0.name) }.map(\.name)
    }
}

/// What decides whether a cached output is still valid.
public enum Fingerprint: Sendable, Hashable {
    case constant
    case value(String)
    /// Run every time (ComfyUI: `IS_CHANGED` returning NaN).
    case alwaysChanged
}

/// What a node returns.
public struct NodeResult: Sendable {
    /// One value per declared output; for list outputs, a `[NodeValue]`.
    public var outputs: [NodeValue]
    /// What an output node shows, such as `{"images": [...]}`.
    public var ui: JSONObject?
    /// A graph to run in the node's place; its results become the node's outputs.
    public var expansion: GraphExpansion?

    public init(_ outputs: [NodeValue], ui: JSONObject? = nil) {
        self.outputs = outputs
        self.ui = ui
    }

    public static func ui(_ ui: JSONObject) -> NodeResult { NodeResult([], ui: ui) }

    public static func expand(_ expansion: GraphExpansion) -> NodeResult {
        var result = NodeResult([])
        result.expansion = expansion
        return result
    }
}

/// Nodes a node adds to the running prompt (ComfyUI's node expansion). Their ids are local to the expansion;
/// links to ids that are not among them refer to the prompt's own nodes.
public struct GraphExpansion: Sendable {
    public var nodes: [PromptNode]
    /// One per declared output: a link to the node that provides it, or a literal.
    public var outputs: [PromptInput]

    public init(nodes: [PromptNode], outputs: [PromptInput]) {
        self.nodes = nodes
        self.outputs = outputs
    }
}

/// An output value that stops every consumer from running (ComfyUI's `ExecutionBlocker`).
/// With a message, the block is reported as an error; without, consumers are skipped silently.
public struct ExecutionBlocker: Sendable {
    public var message: String?
    public init(message: String? = nil) { self.message = message }
}
