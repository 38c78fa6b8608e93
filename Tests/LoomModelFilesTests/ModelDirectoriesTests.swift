import Foundation
import LoomGraph
import Testing
@testable import LoomModelFiles

@Suite struct ModelDirectoriesTests {
    private func makeModelsRoot() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        for name in [
            "models/checkpoints/flux-aio.safetensors", "models/checkpoints/notes.txt", "models/checkpoints/.hidden.safetensors",
            "models/unet/flux1-dev-Q8_0.gguf", "models/diffusion_models/family/flux1-fill.sft",
            "models/clip/clip_l.safetensors", "models/text_encoders/t5xxl_fp16.safetensors",
            "models/controlnet/union.safetensors", "models/t2i_adapter/adapter.pth",
            "models/vae/sub/deeper/ae.ckpt",
        ] {
            try directory.write([0], to: name)
        }
        return directory
    }

    @Test func listsComfyUIFoldersWithLegacyAliasesRecursively() throws {
        let root = try makeModelsRoot()
        let directories = ModelDirectories(modelsRoot: root.path + "/models")
        #expect(directories.files(in: "checkpoints") == ["flux-aio.safetensors"])
        #expect(directories.files(in: "diffusion_models") == ["family/flux1-fill.sft", "flux1-dev-Q8_0.gguf"])
        #expect(directories.files(in: "unet") == directories.files(in: "diffusion_models"))
        #expect(directories.files(in: "clip") == ["clip_l.safetensors", "t5xxl_fp16.safetensors"])
        #expect(directories.files(in: "controlnet") == ["adapter.pth", "union.safetensors"])
        #expect(directories.files(in: "vae") == ["sub/deeper/ae.ckpt"])
        #expect(directories.files(in: "loras") == [])
        #expect(directories.searchedLocations(for: "unet") == [root.path + "/models/unet", root.path + "/models/diffusion_models"])
    }

    @Test func actsAsTheGraphsFileCatalog() throws {
        let root = try makeModelsRoot()
        let catalog: any FileCatalog = ModelDirectories(modelsRoot: root.path + "/models")
        #expect(catalog.files(in: "text_encoders").count == 2)
        #expect(catalog.searchedLocations(for: "vae") == [root.path + "/models/vae"])
    }

    @Test func resolvesListedNamesAndRefusesEscapes() throws {
        let root = try makeModelsRoot()
        try root.write([1], to: "secret.safetensors")
        let directories = ModelDirectories(modelsRoot: root.path + "/models")
        #expect(try directories.path(of: "family/flux1-fill.sft", in: "unet") == root.path + "/models/diffusion_models/family/flux1-fill.sft")
        for name in ["../../secret.safetensors", "/etc/passwd", "family/../../../secret.safetensors", "", "a//b.safetensors", "..\\secret.safetensors"] {
            let error = #expect(throws: ModelFileError.self) { try directories.path(of: name, in: "diffusion_models") }
            #expect(error?.kind == .notFound, "\(name)")
        }
        let missing = #expect(throws: ModelFileError.self) { try directories.path(of: "absent.safetensors", in: "loras") }
        #expect(missing?.message.contains(root.path + "/models/loras") == true)
    }

    @Test func readsExtraModelPathsYAML() throws {
        let root = try makeModelsRoot()
        let yaml = """
            comfyui:
                base_path: comfy/
                is_default: true
                checkpoints: models/checkpoints/
                clip: models/clip/
                diffusion_models: |
                    models/diffusion_models
                    models/unet

            other:
                loras: /absolute/loras
                vae: ${MODELS}/vae
            empty:
            """
        var directories = ModelDirectories(modelsRoot: root.path + "/models")
        try directories.addExtraModelPaths(yaml: yaml, configDirectory: "/config", environment: ["MODELS": "/mnt/models", "HOME": "/home/me"])
        #expect(directories.searchedLocations(for: "checkpoints") == ["/config/comfy/models/checkpoints", root.path + "/models/checkpoints"])
        #expect(directories.searchedLocations(for: "text_encoders").first == "/config/comfy/models/clip")
        #expect(Array(directories.searchedLocations(for: "diffusion_models").prefix(2)) == ["/config/comfy/models/unet", "/config/comfy/models/diffusion_models"])
        #expect(directories.searchedLocations(for: "loras") == [root.path + "/models/loras", "/absolute/loras"])
        #expect(directories.searchedLocations(for: "vae").last == "/mnt/models/vae")
    }

    @Test func readsExtraModelPathsFilesRelativeToThemselves() throws {
        let root = try makeModelsRoot()
        let config = try root.write(Array("shared:\n  base_path: ../store\n  loras: loras\n".utf8), to: "config/extra_model_paths.yaml")
        let directories = try ModelDirectories(modelsRoot: root.path + "/models", extraModelPathsFiles: [config], environment: [:])
        #expect(directories.searchedLocations(for: "loras") == [root.path + "/models/loras", root.path + "/store/loras"])
        let missing = #expect(throws: ModelFileError.self) {
            try ModelDirectories(modelsRoot: root.path + "/models", extraModelPathsFiles: [root.path + "/absent.yaml"], environment: [:])
        }
        #expect(missing?.kind == .unreadable)
        #expect(missing?.path == root.path + "/absent.yaml")
    }

    @Test func extraModelPathsKeepFileOrder() throws {
        var directories = ModelDirectories()
        try directories.addExtraModelPaths(yaml: "zeta:\n  loras: /z\nalpha:\n  loras: /a\n  is_default: true\nbeta:\n  loras: /b\n", configDirectory: "/")
        #expect(directories.searchedLocations(for: "loras") == ["/a", "/z", "/b"])
    }

    @Test func extraModelPathsErrorsNameTheFile() throws {
        var directories = ModelDirectories()
        let error = #expect(throws: ModelFileError.self) {
            try directories.addExtraModelPaths(yaml: "a:\n  checkpoints: [1, 2]\n", configDirectory: "/", source: "/x/extra_model_paths.yaml")
        }
        #expect(error?.path == "/x/extra_model_paths.yaml")
        #expect(error?.message.contains("a.checkpoints") == true)
    }

    @Test func expandsHomeAndVariablesLikePython() {
        let environment = ["HOME": "/home/me", "A": "x"]
        #expect(ModelDirectories.expand("~/m", environment: environment) == "/home/me/m")
        #expect(ModelDirectories.expand("$A/${A}/$B/$", environment: environment) == "x/x/$B/$")
        #expect(ModelDirectories.expand("a~", environment: environment) == "a~")
    }

    @Test func modelsRootPrefersTheOptionThenTheEnvironment() {
        #expect(ModelDirectories.modelsRoot(option: "/opt", environment: ["LOOM_MODELS_DIR": "/env"]) == "/opt")
        #expect(ModelDirectories.modelsRoot(option: nil, environment: ["LOOM_MODELS_DIR": "/env"]) == "/env")
        #expect(ModelDirectories.modelsRoot(option: nil, environment: [:]) == "models")
    }

    @Test func listingRowsDescribeEachFile() throws {
        let root = try TemporaryDirectory()
        for (fixture, folder) in [("flux-dev-tiny-Q8_0.gguf", "unet"), ("t5-tiny-fp8-e4m3fn-scaled.safetensors", "clip"), ("body_pose_model-tiny.pth", "checkpoints")] {
            try root.write(Array(Data(contentsOf: URL(fileURLWithPath: Fixtures.path(fixture)))), to: "models/\(folder)/\(fixture)")
        }
        try root.write([1, 2, 3], to: "models/vae/broken.safetensors")
        let rows = ModelListing.rows(in: ModelDirectories(modelsRoot: root.path + "/models"))
        #expect(rows.map(\.folder) == ["checkpoints", "diffusion_models", "text_encoders", "vae"])
        #expect(rows[0].architectures == ["OpenPose body (2 stages)"])
        #expect(rows[0].dataType == "F32")
        #expect(rows[1].architectures == ["Flux dev (hidden 16, 2 heads, 2+2 blocks)"])
        #expect(rows[1].dataType == "Q8_0")
        #expect(rows[1].format == .gguf)
        let size = try FileManager.default.attributesOfItem(atPath: Fixtures.path("flux-dev-tiny-Q8_0.gguf"))[.size] as? Int
        #expect(rows[1].byteCount == size)
        #expect(rows[1].name == "flux-dev-tiny-Q8_0.gguf")
        #expect(rows[2].dataType == "F8_E4M3 scaled")
        #expect(rows[2].architectures.first?.hasPrefix("T5 encoder") == true)
        #expect(rows[3].problem?.isEmpty == false)
        #expect(rows[3].format == nil)
    }

    @Test func fingerprintsChangeWithContent() throws {
        let root = try TemporaryDirectory()
        let a = try root.write([1, 2, 3], to: "a.safetensors")
        let b = try root.write([1, 2, 4], to: "b.safetensors")
        #expect(try FileFingerprint(path: a).digest == FileFingerprint(path: a).digest)
        #expect(try FileFingerprint(path: a).digest != FileFingerprint(path: b).digest)
        #expect(try FileFingerprint(path: a).size == 3)
    }

    /// A file rewritten with only its middle changed (same header, same tail, same size) is another file.
    @Test func aFileRewrittenInTheMiddleFingerprintsDifferently() throws {
        let root = try TemporaryDirectory()
        var bytes = [UInt8](repeating: 7, count: 3 << 20)
        let path = try root.write(bytes, to: "model.safetensors")
        let before = try FileFingerprint(path: path)
        bytes[bytes.count / 2] = 8
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: before.modificationTime + 5)],
                                              ofItemAtPath: path)
        let after = try FileFingerprint(path: path)
        #expect(after.digest == before.digest, "the sampled bytes are unchanged")
        #expect(after.description != before.description)
    }
}
