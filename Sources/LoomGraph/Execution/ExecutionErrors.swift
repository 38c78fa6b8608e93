/// A loop closed at run time by a node's expansion. Reported under ComfyUI's exception type name.
public struct DependencyCycleError: Error, CustomStringConvertible, ComfyExceptionNaming {
    public var message: String
    public var description: String { message }
    public var comfyExceptionType: String { "graph.DependencyCycleError" }
}

/// An error that reports itself under a given `exception_type`, such as ComfyUI's own exception names.
public protocol ComfyExceptionNaming {
    var comfyExceptionType: String { get }
}

/// A node that broke its own declaration, such as returning fewer outputs than it declares.
public struct NodeContractError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
