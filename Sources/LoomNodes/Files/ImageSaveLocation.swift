import Foundation

/// Where SaveImage writes a batch, worked out as ComfyUI's `get_save_image_path` does: the prefix may
/// name a subfolder and use `%width%`, `%height%`, `%year%`, `%month%`, `%day%`, `%hour%`, `%minute%` and
/// `%second%`; numbering continues after the highest `{name}_{number}_…` file already in the folder.
public struct ImageSaveLocation: Sendable, Equatable {
    /// The folder files go into.
    public var directory: String
    /// The file name prefix; it may still hold `%batch_num%`.
    public var name: String
    /// The subfolder below the root, as the UI reports it ("" for none).
    public var subfolder: String
    /// The number of the first file to write.
    public var counter: Int

    /// `folderName` names `root` in error messages.
    public init(
        prefix: String, root: String, folderName: String = "output", width: Int, height: Int, date: Date = Date()
    ) throws(FileNameError) {
        let expanded = prefix.contains("%") ? Self.expandTokens(prefix, width: width, height: height, date: date) : prefix
        let normalized = PathSyntax.normalized(expanded)
        func failure(_ problem: FileNameError.Problem) -> FileNameError {
            FileNameError(name: prefix, folder: folderName, problem: problem)
        }
        guard !normalized.hasPrefix("/") else { throw failure(.absolute) }
        guard normalized != "..", !normalized.hasPrefix("../") else { throw failure(.parentReference) }
        let (subfolder, name) = PathSyntax.split(normalized)
        let directory = subfolder.isEmpty ? root : root + "/" + subfolder
        guard PathSyntax.isContained(directory, in: root) else { throw failure(.escapesFolder) }
        self.directory = directory
        self.name = name
        self.subfolder = subfolder
        self.counter = Self.nextCounter(for: name, in: directory)
    }

    /// `{name}_{counter:05}_.png`, with `%batch_num%` in the name replaced.
    public func fileName(batchNumber: Int, counter: Int) -> String {
        let number = String(counter)
        let padded = String(repeating: "0", count: max(0, 5 - number.count)) + number
        return name.replacingOccurrences(of: "%batch_num%", with: String(batchNumber)) + "_\(padded)_.png"
    }

    static func expandTokens(_ prefix: String, width: Int, height: Int, date: Date) -> String {
        let parts = Calendar.current.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func twoDigits(_ value: Int?) -> String {
            let text = String(value ?? 0)
            return text.count < 2 ? "0" + text : text
        }
        return [
            ("%width%", String(width)), ("%height%", String(height)), ("%year%", String(parts.year ?? 0)),
            ("%month%", twoDigits(parts.month)), ("%day%", twoDigits(parts.day)), ("%hour%", twoDigits(parts.hour)),
            ("%minute%", twoDigits(parts.minute)), ("%second%", twoDigits(parts.second)),
        ].reduce(prefix) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
    }

    /// One past the highest number among files named `{name}_{digits}…` that have `_` right after the
    /// name; 1 when there are none or the folder does not exist yet. Unparseable numbers count as 0.
    static func nextCounter(for name: String, in directory: String) -> Int {
        let length = name.unicodeScalars.count
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let numbers = files.compactMap { file -> Int? in
            let scalars = Array(file.unicodeScalars)
            guard scalars.count > length, scalars[length] == "_",
                String(String.UnicodeScalarView(scalars[..<length])) == name
            else { return nil }
            let rest = String(String.UnicodeScalarView(scalars[(length + 1)...]))
            return Int(rest.split(separator: "_", omittingEmptySubsequences: false).first ?? "") ?? 0
        }
        return (numbers.max() ?? 0) + 1
    }
}
