/// A node class described as data, in the shape ComfyUI's `/object_info` publishes:
/// what it takes, what it returns, and how it is presented.
public struct NodeSchema: Sendable {
    public var name: String
    public var displayName: String
    public var category: String
    public var description: String
    public var inputs: [InputSpec]
    public var outputs: [OutputSpec]
    public var isOutputNode: Bool
    /// The node receives whole lists rather than being called once per element (`INPUT_IS_LIST`).
    public var takesInputsAsLists: Bool
    /// Where the node's ComfyUI counterpart lives, for `/object_info`'s `python_module`.
    public var pythonModule: String
    public var isDeprecated: Bool
    public var isExperimental: Bool

    public init(
        name: String,
        displayName: String? = nil,
        category: String,
        description: String = "",
        inputs: [InputSpec] = [],
        outputs: [OutputSpec] = [],
        isOutputNode: Bool = false,
        takesInputsAsLists: Bool = false,
        pythonModule: String = "nodes",
        isDeprecated: Bool = false,
        isExperimental: Bool = false
    ) {
        self.name = name
        self.displayName = displayName ?? name
        self.category = category
        self.description = description
        self.inputs = inputs
        self.outputs = outputs
        self.isOutputNode = isOutputNode
        self.takesInputsAsLists = takesInputsAsLists
        self.pythonModule = pythonModule
        self.isDeprecated = isDeprecated
        self.isExperimental = isExperimental
    }

    public func input(named name: String) -> InputSpec? {
        inputs.first { $0.name == name }
    }

    /// The inputs a saved UI workflow stores in `widgets_values`, in order.
    public var widgetInputs: [InputSpec] {
        inputs.filter { $0.section != .hidden && $0.kind.isWidget && !$0.forceInput }
    }
}

/// Where an input is declared; hidden inputs are supplied by the executor, never by the graph.
public enum InputSection: String, Sendable, CaseIterable {
    case required, optional, hidden
}

public struct InputSpec: Sendable {
    public var name: String
    public var kind: InputKind
    public var section: InputSection
    /// A lazy input is evaluated only when the node asks for it.
    public var isLazy: Bool
    /// A widget type shown as a socket: the value must come through a link.
    public var forceInput: Bool
    public var tooltip: String?
    /// A saved UI workflow stores an extra `control_after_generate` value after this widget.
    public var controlAfterGenerate: Bool

    public init(
        _ name: String, _ kind: InputKind, section: InputSection = .required, isLazy: Bool = false,
        forceInput: Bool = false, tooltip: String? = nil, controlAfterGenerate: Bool = false
    ) {
        self.name = name
        self.kind = kind
        self.section = section
        self.isLazy = isLazy
        self.forceInput = forceInput
        self.tooltip = tooltip
        self.controlAfterGenerate = controlAfterGenerate
    }

    public static func int(
        _ name: String, default value: Int = 0, min: Int? = nil, max: Int? = nil, step: Int = 1,
        section: InputSection = .required, controlAfterGenerate: Bool = false, tooltip: String? = nil
    ) -> InputSpec {
        InputSpec(
            name, .int(IntOptions(defaultValue: value, min: min.map(LiteralInteger.int), max: max.map(LiteralInteger.int), step: step)),
            section: section, tooltip: tooltip, controlAfterGenerate: controlAfterGenerate)
    }

    /// ComfyUI's seed widget: 0...2⁶⁴−1 (`0xffffffffffffffff`), randomised after each run by the UI. Seeds above
    /// `Int.max` reach the node as their bit pattern.
    public static func seed(_ name: String, tooltip: String? = nil) -> InputSpec {
        InputSpec(
            name, .int(IntOptions(defaultValue: 0, min: .int(0), max: .unsigned(.max), step: 1)), tooltip: tooltip,
            controlAfterGenerate: true)
    }

    public static func float(
        _ name: String, default value: Double = 0, min: Double? = nil, max: Double? = nil, step: Double = 0.1,
        round: Double? = nil,
        section: InputSection = .required, tooltip: String? = nil
    ) -> InputSpec {
        InputSpec(
            name, .float(FloatOptions(defaultValue: value, min: min, max: max, step: step, round: round)),
            section: section, tooltip: tooltip)
    }

    public static func string(
        _ name: String, default value: String = "", multiline: Bool = false, section: InputSection = .required,
        tooltip: String? = nil
    ) -> InputSpec {
        InputSpec(
            name, .string(StringOptions(defaultValue: value, multiline: multiline)), section: section,
            tooltip: tooltip)
    }

    public static func boolean(
        _ name: String, default value: Bool = false, section: InputSection = .required, tooltip: String? = nil
    ) -> InputSpec {
        InputSpec(name, .boolean(defaultValue: value), section: section, tooltip: tooltip)
    }

    public static func combo(
        _ name: String, _ options: ComboOptions, section: InputSection = .required, tooltip: String? = nil
    ) -> InputSpec {
        InputSpec(name, .combo(options), section: section, tooltip: tooltip)
    }

    public static func combo(
        _ name: String, _ choices: [String], default value: String? = nil, section: InputSection = .required,
        tooltip: String? = nil
    ) -> InputSpec {
        combo(name, ComboOptions(choices: .fixed(choices), defaultValue: value), section: section, tooltip: tooltip)
    }

    /// A socket of a data type such as `IMAGE`, `MODEL` or `IMAGE,FLOAT`.
    public static func link(
        _ name: String, _ type: String, section: InputSection = .required, isLazy: Bool = false,
        tooltip: String? = nil
    ) -> InputSpec {
        InputSpec(name, .link(type), section: section, isLazy: isLazy, tooltip: tooltip)
    }

    /// A hidden input the executor fills: `PROMPT`, `EXTRA_PNGINFO` or `UNIQUE_ID`.
    public static func hidden(_ name: String, _ value: HiddenValue) -> InputSpec {
        InputSpec(name, .hidden(value), section: .hidden)
    }

    /// The type name used for link type checks.
    public var typeName: String { kind.typeName }
}

public enum HiddenValue: String, Sendable {
    case prompt = "PROMPT"
    case extraPNGInfo = "EXTRA_PNGINFO"
    case uniqueID = "UNIQUE_ID"
}

public enum InputKind: Sendable {
    case int(IntOptions)
    case float(FloatOptions)
    case string(StringOptions)
    case boolean(defaultValue: Bool)
    case combo(ComboOptions)
    case link(String)
    case hidden(HiddenValue)

    public var typeName: String {
        switch self {
        case .int: "INT"
        case .float: "FLOAT"
        case .string: "STRING"
        case .boolean: "BOOLEAN"
        case .combo: "COMBO"
        case .link(let type): type
        case .hidden(let value): value.rawValue
        }
    }

    /// Types the UI shows as widgets with a stored value.
    public var isWidget: Bool {
        switch self {
        case .int, .float, .string, .boolean, .combo: true
        case .link, .hidden: false
        }
    }

    public var defaultValue: JSONValue? {
        switch self {
        case .int(let options): .int(options.defaultValue)
        case .float(let options): .double(options.defaultValue)
        case .string(let options): .string(options.defaultValue)
        case .boolean(let value): .bool(value)
        case .combo(let options): options.defaultValue.map(JSONValue.string)
        case .link, .hidden: nil
        }
    }
}

public struct IntOptions: Sendable {
    public var defaultValue: Int
    public var min: LiteralInteger?
    public var max: LiteralInteger?
    public var step: Int
}

public struct FloatOptions: Sendable {
    public var defaultValue: Double
    public var min: Double?
    public var max: Double?
    public var step: Double
    public var round: Double?
}

public struct StringOptions: Sendable {
    public var defaultValue: String
    public var multiline: Bool
}

public struct ComboOptions: Sendable {
    public var choices: ComboChoices
    /// ComfyUI defaults a combo to its first choice.
    public var explicitDefault: String?
    /// The input is a file picker that uploads into the input folder (`image_upload`).
    public var uploadsImage: Bool

    public init(choices: ComboChoices, defaultValue: String? = nil, uploadsImage: Bool = false) {
        self.choices = choices
        self.explicitDefault = defaultValue
        self.uploadsImage = uploadsImage
    }

    public var defaultValue: String? { explicitDefault ?? choices.staticChoices.first }
}

/// Combo choices are either fixed or listed at request time from a folder, such as a model folder.
public enum ComboChoices: Sendable {
    case fixed([String])
    /// The files of a named folder (`input`, `checkpoints`, `vae`, ...) as a `FileCatalog` lists them.
    case files(folder: String)

    public func choices(in catalog: (any FileCatalog)?) -> [String] {
        switch self {
        case .fixed(let choices): choices
        case .files(let folder): catalog?.files(in: folder) ?? []
        }
    }

    public var staticChoices: [String] {
        if case .fixed(let choices) = self { choices } else { [] }
    }
}

public struct OutputSpec: Sendable {
    public var type: String
    public var name: String
    public var isList: Bool
    public var tooltip: String?

    public init(_ type: String, name: String? = nil, isList: Bool = false, tooltip: String? = nil) {
        self.type = type
        self.name = name ?? type
        self.isList = isList
        self.tooltip = tooltip
    }
}
