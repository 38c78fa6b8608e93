/// A requested file name that cannot be used, or a file that is not there.
public struct FileNameError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Problem: Sendable, Equatable {
        case empty
        /// NUL cannot appear in a file name.
        case invalidCharacter
        case absolute
        case parentReference
        /// After resolving symbolic links the file lies outside its folder.
        case escapesFolder
        case missing
    }

    public var name: String
    public var folder: String
    public var problem: Problem

    public init(name: String, folder: String, problem: Problem) {
        self.name = name
        self.folder = folder
        self.problem = problem
    }

    public var description: String {
        switch problem {
        case .empty: "an empty file name was given for the \(folder) folder"
        case .invalidCharacter: "'\(name.replacingOccurrences(of: "\0", with: "\\0"))' contains a NUL character"
        case .absolute: "'\(name)' is an absolute path; names must be relative to the \(folder) folder"
        case .parentReference: "'\(name)' refers to a parent directory ('..'), which is not allowed"
        case .escapesFolder: "'\(name)' leads outside the \(folder) folder through a symbolic link"
        case .missing: "'\(name)' was not found in the \(folder) folder"
        }
    }
}
