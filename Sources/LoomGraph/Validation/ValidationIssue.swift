import Foundation

/// One validation problem, in the `{type, message, details, extra_info}` shape ComfyUI clients read.
public struct ValidationIssue: Error, Sendable, Equatable, CustomStringConvertible {
    public var type: String
    public var message: String
    public var details: String
    public var extraInfo: JSONObject

    public init(type: String, message: String, details: String, extraInfo: JSONObject = [:]) {
        self.type = type
        self.message = message
        self.details = details
        self.extraInfo = extraInfo
    }

    public var json: JSONValue {
        ["type": .string(type), "message": .string(message), "details": .string(details), "extra_info": .object(extraInfo)]
    }

    public var description: String { details.isEmpty ? message : "\(message): \(details)" }
}

/// Everything wrong with one node, and which outputs it keeps from running.
public struct NodeValidationErrors: Sendable, Equatable {
    public var classType: String
    public var title: String?
    public var errors: [ValidationIssue]
    public var dependentOutputs: [String]

    public var json: JSONValue {
        [
            "errors": .array(errors.map(\.json)),
            "dependent_outputs": .array(dependentOutputs.map(JSONValue.string)),
            "class_type": .string(classType),
        ]
    }
}

/// A prompt that cannot run: the prompt-level error plus the per-node errors behind it.
public struct PromptValidationError: Error, Sendable, CustomStringConvertible {
    public var error: ValidationIssue
    public var nodeErrors: [String: NodeValidationErrors]

    /// The body of ComfyUI's 400 answer to `POST /prompt`.
    public var json: JSONValue {
        ["error": error.json, "node_errors": .object(JSONObject(nodeErrors.sorted { $0.key < $1.key }.map { ($0.key, $0.value.json) }))]
    }

    public var description: String {
        var lines = [error.message]
        lines += NodeValidationErrors.lines(describing: nodeErrors)
        if nodeErrors.isEmpty, !error.details.isEmpty { lines.append("  \(error.details)") }
        return lines.joined(separator: "\n")
    }
}

extension NodeValidationErrors {
    /// One line per problem, naming node id, title, class and input, in node-id order.
    public static func lines(describing nodeErrors: [String: NodeValidationErrors]) -> [String] {
        nodeErrors.sorted(by: { $0.key.localizedStandardCompare($1.key) == .orderedAscending }).flatMap { id, node in
            let name = node.title.map { "\"\($0)\" (\(node.classType))" } ?? node.classType
            return node.errors.map { "  node \(id) \(name): \($0.description)" }
        }
    }
}

/// A prompt that passed validation: the outputs that will run, and errors of those that will not.
public struct ValidatedPrompt: Sendable {
    public var prompt: Prompt
    public var outputs: [String]
    public var nodeErrors: [String: NodeValidationErrors]
    /// Lazy inputs whose sources failed validation. They cost nothing unless a node asks for them, as a switch
    /// set to its other branch never does; a request for one fails the run with these errors.
    public var deferredFailures: [DeferredInputFailure] = []
}

/// A lazy input fed by a node that failed validation, with the errors along that branch.
public struct DeferredInputFailure: Sendable, Equatable {
    public var node: String
    public var input: String
    public var nodeErrors: [String: NodeValidationErrors]
}

/// A node asked for a lazy input whose branch failed validation.
public struct LazyInputValidationError: Error, CustomStringConvertible, ComfyExceptionNaming {
    public var classType: String
    public var failure: DeferredInputFailure

    public var description: String {
        (["node \(failure.node) (\(classType)) asked for its input '\(failure.input)', whose branch failed validation:"]
            + NodeValidationErrors.lines(describing: failure.nodeErrors)).joined(separator: "\n")
    }

    public var comfyExceptionType: String { "execution.LazyInputValidationError" }
}
