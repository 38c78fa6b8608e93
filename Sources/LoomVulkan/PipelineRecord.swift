import Foundation

/// The pipelines earlier processes of this build asked for on this device, in the order they first did, kept in
/// a small text file so the next process can create them on a background thread before they are needed:
/// lavapipe rebuilds every pipeline from SPIR-V in each process (about 20 ms each, even with Mesa's shader cache
/// warm), and its `VkPipelineCache` keeps nothing across processes.
///
/// There is one file per workload (see `ValidatedPrompt.workload`), so that a process creates what its own workflow
/// will ask for, in the order it will: on two cores, creating another workflow's pipelines costs this one time. The
/// file is named by the device's `pipelineCacheUUID` and subgroup size, a digest of every embedded shader, so one written by another
/// build or driver is never read, and a digest of the workload. It ends with a checksum of its lines; a truncated or
/// edited file reads as empty.
struct PipelineRecord: Sendable {
    struct Entry: Hashable, Sendable {
        let variant: ShaderVariant
        let constants: [UInt32]
        let storageBindings: Int
        let texelBindings: Int
    }

    /// Past this many entries nothing more is recorded: a record lists what workflows use, not every shape.
    static let capacity = 1024

    let file: URL

    /// The record of `workload`, or of work outside any workflow when nil.
    init(directory: URL, deviceIdentity: String, workload: String? = nil) {
        let name = [deviceIdentity, ShaderVariant.catalogueDigest] + (workload.map { [Self.checksum(of: [$0])] } ?? [])
        file = directory.appendingPathComponent(name.joined(separator: "-") + ".txt")
    }

    /// Deletes the records other builds wrote for `deviceIdentity` in `directory`: their shaders differ, so no later
    /// process of this build reads them, and each build and workload would otherwise leave a file behind. Records
    /// named by a bare `pipelineCacheUUID`, as builds did before the subgroup size joined the identity, go too: no
    /// build reads them any more.
    static func removeOtherBuilds(in directory: URL, deviceIdentity: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        let current = "\(deviceIdentity)-\(ShaderVariant.catalogueDigest)"
        for name in names where name.hasSuffix(".txt") {
            let otherBuild = name.hasPrefix("\(deviceIdentity)-") && name != current + ".txt" && !name.hasPrefix(current + "-")
            let identity = name.prefix { $0 != "-" }
            // The identity runs up to the first dash; without one it would end in ".txt", which is no hex digit.
            let unsized = identity.count == 32 && identity.allSatisfy(\.isHexDigit)
            if otherBuild || unsized { try? FileManager.default.removeItem(at: directory.appendingPathComponent(name)) }
        }
    }

    /// The recorded entries; none when the file is missing, damaged or names variants this build lacks.
    func read() -> [Entry] {
        // Anything far larger than a full record is not one.
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path),
              let size = attributes[.size] as? Int, size <= Self.capacity * 256,
              let data = try? Data(contentsOf: file) else { return [] }
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.last == "", lines.count >= 2 else { return [] }
        lines.removeLast()
        let checksum = lines.removeLast()
        guard checksum == Self.checksum(of: lines), lines.count <= Self.capacity else { return [] }
        var entries: [Entry] = []
        for line in lines {
            guard let entry = Self.entry(parsing: line) else { return [] }
            entries.append(entry)
        }
        return entries
    }

    /// Replaces the file with `entries`; a record that cannot be written only costs the next process its head start.
    func write(_ entries: [Entry]) {
        let lines = entries.prefix(Self.capacity).map(Self.line)
        let text = (lines + [Self.checksum(of: lines)]).joined(separator: "\n") + "\n"
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? Data(text.utf8).write(to: file, options: .atomic)
    }

    /// `name storage-bindings texel-bindings constant,constant,...` (`-` for no constants).
    private static func line(_ entry: Entry) -> String {
        let constants = entry.constants.isEmpty ? "-" : entry.constants.map(String.init).joined(separator: ",")
        return "\(entry.variant.name) \(entry.storageBindings) \(entry.texelBindings) \(constants)"
    }

    private static func entry(parsing line: String) -> Entry? {
        let fields = line.split(separator: " ").map(String.init)
        guard fields.count == 4, let variant = ShaderVariant.named[fields[0]], variant.isAvailable,
              let storage = Int(fields[1]), let texel = Int(fields[2]), (0...32).contains(storage), (0...32).contains(texel)
        else { return nil }
        let written = fields[3] == "-" ? [] : fields[3].split(separator: ",")
        let constants = written.compactMap { UInt32($0) }
        guard constants.count == written.count, constants.count <= 32 else { return nil }
        return Entry(variant: variant, constants: constants, storageBindings: storage, texelBindings: texel)
    }

    /// FNV-1a of the lines, in hex.
    private static func checksum(of lines: [String]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for line in lines {
            for byte in Array(line.utf8) + [10] { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        return String(hash, radix: 16)
    }
}
