import ArgumentParser
import Foundation
import Loom

struct CacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "Inspect or empty the on-disk output cache.",
        subcommands: [Stats.self, Clear.self])

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show how many outputs are cached and their size.")
        @OptionGroup var disk: DiskCacheOptions

        func run() async throws {
            let store = DiskOutputStore(directory: disk.directory, byteLimit: disk.byteLimit)
            let statistics = store.statistics
            print("\(store.directory.path): \(statistics.entries) outputs, \(ByteCountFormatter.string(fromByteCount: Int64(statistics.bytes), countStyle: .memory)) of \(ByteCountFormatter.string(fromByteCount: Int64(store.byteLimit), countStyle: .memory))")
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete every cached output.")
        @OptionGroup var disk: DiskCacheOptions

        func run() async throws {
            let store = DiskOutputStore(directory: disk.directory)
            let count = store.statistics.entries
            try store.clear()
            print("removed \(count) cached outputs from \(store.directory.path)")
        }
    }
}
