import CLoom
import Foundation
import Loom

@_cdecl("loom_engine_options_init")
public func loom_engine_options_init(_ options: UnsafeMutablePointer<loom_engine_options>?) {
    options?.pointee = EngineOptions.defaults
}

@_cdecl("loom_engine_create")
public func loom_engine_create(
    _ options: UnsafePointer<loom_engine_options>?, _ engine: UnsafeMutablePointer<OpaquePointer?>?
) -> loom_status {
    exported { () throws(LoomFailure) in
        let engine = try outParameter(engine, "engine")
        let configuration = try EngineOptions.configuration(options?.pointee ?? EngineOptions.defaults)
        do {
            let made = try LoomEngine(configuration: configuration)
            engine.pointee = EngineHandle.table.insert(EngineHandle(engine: made))
        } catch {
            throw LoomFailure(LOOM_ERROR_IO, "\(error)")
        }
    }
}

@_cdecl("loom_engine_destroy")
public func loom_engine_destroy(_ engine: OpaquePointer?) -> loom_status {
    exported { () throws(LoomFailure) in
        guard let engine else { return }
        try Blocking.checkNotInCallback("loom_engine_destroy")
        try EngineHandle.table.remove(engine).shutDown()
    }
}

@_cdecl("loom_interrupt")
public func loom_interrupt(_ engine: OpaquePointer?) -> loom_status {
    exported { () throws(LoomFailure) in
        try EngineHandle.table.object(engine).interrupt()
    }
}

/// `loom_engine_options` read into the engine's configuration, refusing values out of range.
enum EngineOptions {
    static var defaults: loom_engine_options {
        var options = loom_engine_options()
        options.struct_size = MemoryLayout<loom_engine_options>.stride
        options.cache_policy = LOOM_CACHE_UNBOUNDED
        options.disk_cache = 1
        options.disk_cache_bytes = 4 << 30
        return options
    }

    static func configuration(_ options: loom_engine_options) throws(LoomFailure) -> LoomEngine.Configuration {
        guard options.struct_size >= MemoryLayout<loom_engine_options>.stride else {
            throw .invalidArgument(
                "options.struct_size is \(options.struct_size), expected \(MemoryLayout<loom_engine_options>.stride): "
                    + "call loom_engine_options_init first")
        }
        func text(_ pointer: UnsafePointer<CChar>?) -> String? { pointer.map { String(cString: $0) } }
        var configuration = LoomEngine.Configuration()
        configuration.baseDirectory = text(options.base_dir) ?? "."
        configuration.modelsDirectory = text(options.models_dir)
        configuration.extraModelPathsFiles = text(options.extra_model_paths_config).map { [$0] } ?? []
        configuration.inputDirectory = text(options.input_dir)
        configuration.outputDirectory = text(options.output_dir)
        configuration.tempDirectory = text(options.temp_dir)
        configuration.userDirectory = text(options.user_dir)
        configuration.deviceSelector = text(options.device)
        switch options.cache_policy {
        case LOOM_CACHE_UNBOUNDED: configuration.cachePolicy = .unbounded
        case LOOM_CACHE_NONE: configuration.cachePolicy = .none
        case LOOM_CACHE_LRU:
            guard options.cache_lru_count >= 0, let count = Int(exactly: options.cache_lru_count) else {
                throw .invalidArgument("options.cache_lru_count is \(options.cache_lru_count); expected 0 or more")
            }
            configuration.cachePolicy = .leastRecentlyUsed(count: count)
        case LOOM_CACHE_RAM:
            guard options.cache_ram_bytes >= 0, let bytes = Int(exactly: options.cache_ram_bytes) else {
                throw .invalidArgument("options.cache_ram_bytes is \(options.cache_ram_bytes); expected 0 or more")
            }
            configuration.cachePolicy = .memoryBudget(bytes: bytes)
        default:
            throw .invalidArgument(
                "options.cache_policy is \(options.cache_policy.rawValue); expected LOOM_CACHE_UNBOUNDED, "
                    + "LOOM_CACHE_NONE, LOOM_CACHE_LRU or LOOM_CACHE_RAM")
        }
        guard options.disk_cache_bytes >= 0, let diskBytes = Int(exactly: options.disk_cache_bytes) else {
            throw .invalidArgument("options.disk_cache_bytes is \(options.disk_cache_bytes); expected 0 or more")
        }
        configuration.diskCacheByteLimit = diskBytes
        configuration.diskCacheDirectory =
            options.disk_cache == 0 || configuration.cachePolicy == .none
            ? nil : text(options.disk_cache_dir).map { URL(fileURLWithPath: $0) } ?? DiskOutputStore.defaultDirectory
        return configuration
    }
}
