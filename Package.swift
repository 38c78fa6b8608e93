// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Loom",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Loom", targets: ["Loom"]),
        .executable(name: "loom", targets: ["LoomCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
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
        // The node library: ComfyUI-named nodes built on the layers below.
        .target(name: "LoomNodes", dependencies: ["LoomGraph"]),
        // The embedding API: one engine shared by the CLI, the server and host applications.
        .target(name: "Loom", dependencies: ["LoomGraph", "LoomNodes", "LoomModelFiles"]),
        .executableTarget(
            name: "LoomCLI",
            dependencies: [
                "Loom",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "LoomGraphTests", dependencies: ["LoomGraph"]),
        .testTarget(name: "LoomNodesTests", dependencies: ["LoomNodes", "LoomGraph"]),
        .testTarget(name: "LoomTests", dependencies: ["Loom"]),
        .testTarget(name: "LoomModelFilesTests", dependencies: ["LoomModelFiles", "LoomGraph"]),
        .testTarget(name: "LoomSamplingTests", dependencies: ["LoomSampling"]),
    ]
)
