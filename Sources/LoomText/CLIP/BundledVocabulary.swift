import Foundation

#if canImport(Darwin)
    import Darwin
#endif

/// Finds the CLIP vocabulary SwiftPM copies into LoomText's resource bundle. The bundle sits beside the binary
/// this code is linked into (the `loom` executable, a test runner, or libLoomC.so, also inside the Python wheel),
/// so it is looked for there first. `Bundle.module` is not used: it knows only the main executable's folder and
/// the build folder, and stops the process when neither has the bundle, which a host application cannot catch.
enum BundledVocabulary {
    static let fileName = "bpe_simple_vocab_16e6.txt.gz"

    static var url: URL? {
        candidates.first { FileManager.default.isReadableFile(atPath: $0.path) }
    }

    static var candidates: [URL] {
        let folders = [binaryDirectory, Bundle.main.bundleURL].compactMap { $0 }
        var urls = folders.flatMap { folder in
            [
                folder.appendingPathComponent("Loom_LoomText.resources/\(fileName)"),
                folder.appendingPathComponent("Loom_LoomText.bundle/Contents/Resources/\(fileName)"),
                folder.appendingPathComponent("Loom_LoomText.bundle/\(fileName)"),
            ]
        }
        // A binary copied out of its build folder still finds the file in the sources it was built from.
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        urls.append(sources.appendingPathComponent("Resources/\(fileName)"))
        return urls
    }

    /// The folder of the executable or shared library that holds this code.
    private static var binaryDirectory: URL? {
        let marker: @convention(c) () -> Void = {}
        return binaryPath(containing: UInt(bitPattern: unsafeBitCast(marker, to: UnsafeRawPointer.self)))
            .map { URL(fileURLWithPath: $0).deletingLastPathComponent() }
    }

    #if os(Linux)
        /// The file mapped at `address`, from `/proc/self/maps` (Glibc's module leaves out `dladdr`).
        private static func binaryPath(containing address: UInt) -> String? {
            guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return nil }
            for line in maps.split(separator: "\n") {
                // start-end perms offset device inode path
                let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
                let range = fields.first?.split(separator: "-") ?? []
                guard fields.count == 6, range.count == 2, let start = UInt(range[0], radix: 16),
                    let end = UInt(range[1], radix: 16), (start..<end).contains(address)
                else { continue }
                let path = fields[5].trimmingCharacters(in: .whitespaces)
                return path.hasPrefix("/") ? path : nil
            }
            return nil
        }
    #else
        private static func binaryPath(containing address: UInt) -> String? {
            var info = Dl_info()
            guard let pointer = UnsafeRawPointer(bitPattern: address), dladdr(pointer, &info) != 0,
                let name = info.dli_fname
            else { return nil }
            return String(cString: name)
        }
    #endif
}
