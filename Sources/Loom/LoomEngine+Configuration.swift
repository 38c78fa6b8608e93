import Foundation

extension LoomEngine {
    /// What a host chooses when it makes an engine, with the command line's defaults: ComfyUI's folder layout
    /// under `baseDirectory`, models from `LOOM_MODELS_DIR` or `<base>/models`, an unbounded memory cache and
    /// the disk cache in `~/.cache/loom/outputs`.
    public struct Configuration: Sendable {
        public var baseDirectory = "."
        /// Where LoadImage reads (default `<base>/input`).
        public var inputDirectory: String?
        /// Where SaveImage writes (default `<base>/output`).
        public var outputDirectory: String?
        /// Where PreviewImage writes (default `<base>/temp`).
        public var tempDirectory: String?
        public var userDirectory: String?
        /// A folder laid out as ComfyUI's `models/`; `nil` means `LOOM_MODELS_DIR`, else `<base>/models`.
        public var modelsDirectory: String?
        /// ComfyUI `extra_model_paths.yaml` files.
        public var extraModelPathsFiles: [String] = []
        public var cachePolicy: CachePolicy = .unbounded
        /// The on-disk output cache; `nil` turns it off.
        public var diskCacheDirectory: URL? = DiskOutputStore.defaultDirectory
        public var diskCacheByteLimit = 4 << 30
        /// A Vulkan device index or name substring; `nil` means `LOOM_VULKAN_DEVICE`, else the first device.
        public var deviceSelector: String?
        /// Where the compute pipelines a run made are noted, so the next process creates them in the background
        /// while it loads models; `nil` turns that off. Beside the disk cache: `~/.cache/loom/pipelines`.
        public var pipelineRecordDirectory: URL? = DiskOutputStore.defaultDirectory.deletingLastPathComponent().appendingPathComponent("pipelines")

        public init() {}

        var folders: FolderPaths {
            FolderPaths(
                base: baseDirectory, input: inputDirectory, output: outputDirectory, temp: tempDirectory,
                user: userDirectory)
        }
    }

    /// An engine over the folders, models, caches and device `configuration` names. Throws when an
    /// `extra_model_paths.yaml` cannot be read.
    public convenience init(configuration: Configuration) throws {
        let resources = Resources()
        var paths = configuration.folders
        let root = ModelDirectories.modelsRoot(
            option: configuration.modelsDirectory, fallback: (paths.base as NSString).appendingPathComponent("models"))
        paths.models = try ModelDirectories(modelsRoot: root, extraModelPathsFiles: configuration.extraModelPathsFiles)
        // One catalog answers combos: the input folder itself, model folders through the model directories.
        paths.register(in: resources)
        if configuration.deviceSelector != nil || configuration.pipelineRecordDirectory != nil {
            resources.set(ComputeDevice(selector: configuration.deviceSelector, pipelineRecordDirectory: configuration.pipelineRecordDirectory))
        }
        self.init(
            resources: resources,
            cache: Self.cache(
                policy: configuration.cachePolicy, diskDirectory: configuration.diskCacheDirectory,
                diskByteLimit: configuration.diskCacheByteLimit))
    }
}
