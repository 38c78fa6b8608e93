// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Loom",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Loom", targets: ["Loom"]),
        .executable(name: "loom", targets: ["LoomCLI"]),
        // libLoomC.so: the C API declared in Sources/CLoom/include/loom.h, for C, C++ and Python hosts.
        // (Not "loom": SwiftPM would drop it as a duplicate of the executable's name.)
        .library(name: "LoomC", type: .dynamic, targets: ["LoomC"]),
        .executable(name: "loom-fuzz", targets: ["LoomFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // Workflow formats, node schema, validation and the scheduler. Knows nothing of Vulkan or models.
        .target(
            name: "LoomGraph",
            dependencies: [
                "Yams",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // libpng from the system (Debian: libpng-dev).
        .systemLibrary(name: "CLibPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        // libpng reports errors with longjmp; this C shim keeps every setjmp/longjmp inside C frames.
        .target(name: "CPNGShim", dependencies: ["CLibPNG"]),
        // zlib from the system (Debian: zlib1g-dev, which libpng-dev already brings): the bundled tokenizer files are gzip.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libjpeg(-turbo) from the system (Debian: libjpeg-dev).
        .systemLibrary(name: "CLibJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
        // libjpeg's error_exit must not return; this shim keeps its longjmp inside C frames.
        .target(name: "CJPEGShim", dependencies: ["CLibJPEG"]),
        // libwebp from the system (Debian: libwebp-dev): decoding and its demuxer for LoadImage (animated files
        // too), the one-call encoder for /view's WebP previews. It reports errors by return value.
        .systemLibrary(name: "CLibWebP", pkgConfig: "libwebpdemux", providers: [.apt(["libwebp-dev"])]),
        // Image and mask batches, PNG, JPEG and WebP files and resampling with ComfyUI's (PyTorch/PIL) semantics.
        .target(name: "LoomImaging", dependencies: ["CPNGShim", "CJPEGShim", "CLibWebP"]),
        // Model files: safetensors, GGUF and PyTorch readers, model folders and architecture detection.
        // Knows nothing of Vulkan or nodes; LoomGraph only for the FileCatalog protocol.
        .target(
            name: "LoomModelFiles",
            dependencies: [
                "LoomGraph",
                "Yams",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Sampling mathematics on CPU arrays: ComfyUI's noise, model sampling, schedulers and samplers.
        // Foundation only; the model is a closure.
        .target(name: "LoomSampling"),
        // Neural models on the Vulkan operators: the model families (detection, networks, latent formats,
        // model sampling, conditioning), text encoders, autoencoders and diffusion networks. Weights are read
        // from LoomModelFiles in their stored dtype; knows nothing of nodes or the graph engine.
        .target(name: "LoomModels", dependencies: ["LoomVulkan", "LoomModelFiles", "LoomText", "LoomSampling", "LoomImaging"]),
        // The node library: ComfyUI-named nodes built on the layers below.
        .target(
            name: "LoomNodes",
            dependencies: [
                "LoomGraph",
                "LoomImaging",
                "LoomModels",
                "LoomModelFiles",
                "LoomSampling",
                "LoomText",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Tokenizers (CLIP BPE, T5 SentencePiece) and ComfyUI's prompt weighting. Foundation and zlib.
        .target(
            name: "LoomText",
            dependencies: ["CZlib"],
            exclude: ["Resources/NOTICE.md", "Resources/LICENSE-Apache-2.0.txt"],
            resources: [.copy("Resources/bpe_simple_vocab_16e6.txt.gz"), .copy("Resources/t5-v1_1-spiece.model.gz")]
        ),
        // The embedding API: one engine shared by the CLI, the server and host applications.
        .target(name: "Loom", dependencies: ["LoomGraph", "LoomNodes", "LoomModelFiles", "LoomModels", "LoomImaging"]),
        // loom.h: the C API's one header. Its C file compiles the header on its own, as a host would include it.
        .target(name: "CLoom"),
        // The C API over the embedding API (@_cdecl functions), built into libloom.so.
        .target(name: "LoomC", dependencies: ["CLoom", "Loom", "LoomImaging"]),
        // The ComfyUI-compatible HTTP and WebSocket server: a persistent queue and history over one engine.
        .target(
            name: "LoomServer",
            dependencies: [
                "Loom",
                "LoomImaging",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "LoomCLI",
            dependencies: [
                "Loom",
                "LoomServer",
                "LoomVulkan",
                "LoomModels",
                "LoomImaging",
                "LoomModelFiles",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `make fuzz`: mutated inputs for every reader of files and workflows, for a bounded time (not in `make test`).
        .executableTarget(name: "LoomFuzz", dependencies: ["Loom", "LoomImaging"]),
        // Vulkan headers and loader from the system (apt: libvulkan-dev).
        .systemLibrary(name: "CVulkan", pkgConfig: "vulkan", providers: [.apt(["libvulkan-dev"])]),
        // Compiles shaders/*.comp variants with glslangValidator and embeds the SPIR-V as Swift source.
        .executableTarget(name: "ShaderEmbedder"),
        .plugin(name: "CompileShaders", capability: .buildTool(), dependencies: ["ShaderEmbedder"]),
        // Vulkan runtime and neural operators. Knows nothing of the graph engine.
        .target(name: "LoomVulkan", dependencies: ["CVulkan"], plugins: ["CompileShaders"]),
        .testTarget(name: "LoomVulkanTests", dependencies: ["LoomVulkan"]),
        .testTarget(name: "LoomGraphTests", dependencies: ["LoomGraph"]),
        .testTarget(
            name: "LoomNodesTests",
            dependencies: [
                "LoomNodes", "LoomGraph", "LoomImaging", "LoomModels", "LoomModelFiles", "LoomSampling", "LoomText",
                "ImagingTestSupport", "ModelFixtureSupport",
            ]),
        .testTarget(name: "LoomTests", dependencies: ["Loom", "LoomImaging", "ImagingTestSupport", "ModelFixtureSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "LoomModelFilesTests", dependencies: ["LoomModelFiles", "LoomGraph", "ModelFixtureSupport"]),
        .testTarget(name: "LoomTextTests", dependencies: ["LoomText"], exclude: ["Fixtures"]),
        .testTarget(
            name: "LoomServerTests",
            dependencies: [
                "LoomServer",
                "Loom",
                "LoomImaging",
                "ImagingTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "LoomImagingTests", dependencies: ["LoomImaging", "ImagingTestSupport"]),
        // Reads the golden image files in Tests/Fixtures/images for both test targets above.
        .target(name: "ImagingTestSupport", dependencies: ["LoomImaging"], path: "Tests/ImagingTestSupport"),
        // Puts together the model fixtures committed as parts of others (Tests/Fixtures/models) for the test targets.
        .target(name: "ModelFixtureSupport", dependencies: ["LoomModelFiles"], path: "Tests/ModelFixtureSupport"),
        .testTarget(name: "LoomSamplingTests", dependencies: ["LoomSampling"]),
        .testTarget(name: "LoomModelsTests", dependencies: ["LoomModels", "LoomVulkan", "LoomModelFiles", "LoomText", "LoomSampling", "LoomImaging", "LoomGraph", "ModelFixtureSupport"]),
    ]
)
