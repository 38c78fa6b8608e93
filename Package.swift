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
        // The node library: ComfyUI-named nodes built on the layers below.
        .target(name: "LoomNodes", dependencies: ["LoomGraph"]),
        // The embedding API: one engine shared by the CLI, the server and host applications.
        .target(name: "Loom", dependencies: ["LoomGraph", "LoomNodes"]),
        .executableTarget(
            name: "LoomCLI",
            dependencies: [
                "Loom",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Vulkan headers and loader from the system (apt: libvulkan-dev).
        .systemLibrary(name: "CVulkan", pkgConfig: "vulkan", providers: [.apt(["libvulkan-dev"])]),
        // Compiles shaders/*.comp variants with glslangValidator and embeds the SPIR-V as Swift source.
        .executableTarget(name: "ShaderEmbedder"),
        .plugin(name: "CompileShaders", capability: .buildTool(), dependencies: ["ShaderEmbedder"]),
        // Vulkan runtime and neural operators. Knows nothing of the graph engine.
        .target(name: "LoomVulkan", dependencies: ["CVulkan"], plugins: ["CompileShaders"]),
        .testTarget(name: "LoomVulkanTests", dependencies: ["LoomVulkan"]),
        .testTarget(name: "LoomGraphTests", dependencies: ["LoomGraph"]),
        .testTarget(name: "LoomNodesTests", dependencies: ["Loom", "LoomNodes", "LoomGraph"]),
    ]
)
