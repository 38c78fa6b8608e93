import Foundation
import LoomGraph
import LoomNodes
import Testing

@Suite struct FolderPathsTests {
    @Test func defaultsFollowComfyUILayout() {
        let folders = FolderPaths(base: "/srv/comfy/")
        #expect(folders.input == "/srv/comfy/input" && folders.output == "/srv/comfy/output")
        #expect(folders.temp == "/srv/comfy/temp" && folders.user == "/srv/comfy/user")
        #expect(folders.searchedLocations(for: "input") == ["/srv/comfy/input"])
        #expect(folders.searchedLocations(for: "checkpoints") == [])
        #expect(folders.files(in: "checkpoints") == [])
    }

    @Test func modelFoldersComeFromTheModelCatalog() {
        struct Models: FileCatalog {
            func files(in folder: String) -> [String] { folder == "vae" ? ["ae.safetensors"] : [] }
            func searchedLocations(for folder: String) -> [String] { ["/models/\(folder)"] }
        }
        let folders = FolderPaths(base: "/srv/comfy", models: Models())
        #expect(folders.files(in: "vae") == ["ae.safetensors"])
        #expect(folders.searchedLocations(for: "vae") == ["/models/vae"])
        #expect(folders.searchedLocations(for: "output") == ["/srv/comfy/output"])
    }

    @Test func listsInputImagesSortedByCodePoint() throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        let input = temporary.folders.input
        for name in ["b.png", "B.JPG", "a.webp", "notes.txt", "sub/c.png", "noextension", "é.png"] {
            try temporary.write([0], to: input + "/" + name)
        }
        #expect(temporary.folders.files(in: "input") == ["B.JPG", "a.webp", "b.png", "é.png"])
    }

    @Test func refusesNamesThatLeaveTheFolder() throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        let folders = temporary.folders
        let root = folders.input
        func problem(_ name: String) -> FileNameError.Problem? {
            do {
                _ = try folders.path(of: name, inDirectory: root, folderName: "input")
                return nil
            } catch { return error.problem }
        }
        #expect(problem("/etc/passwd") == .absolute)
        #expect(problem("../output/x.png") == .parentReference)
        #expect(problem("a/../../x.png") == .parentReference)
        #expect(problem("") == .empty)
        #expect(problem("./.") == .empty)
        #expect(problem("sub/ok.png") == nil)

        // A link inside the input folder that points outside it is refused, one inside is allowed.
        try FileManager.default.createSymbolicLink(atPath: root + "/escape", withDestinationPath: folders.output)
        try FileManager.default.createDirectory(atPath: root + "/real", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/alias", withDestinationPath: root + "/real")
        #expect(problem("escape/x.png") == .escapesFolder)
        #expect(problem("escape") == .escapesFolder)
        #expect(problem("alias/x.png") == nil)
        // A dangling link would be followed once something creates its target.
        try FileManager.default.createSymbolicLink(atPath: root + "/dangling", withDestinationPath: "/nonexistent/loom")
        #expect(problem("dangling/x.png") == .escapesFolder)
        #expect(problem("a\0b.png") == .invalidCharacter)
    }

    @Test func resolvesAnnotatedNames() throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        let folders = temporary.folders
        try temporary.write([1], to: folders.output + "/made.png")
        try temporary.write([1], to: folders.input + "/sub/given.png")
        #expect(try folders.existingFile(annotated: "made.png [output]") == folders.output + "/made.png")
        #expect(try folders.existingFile(annotated: "sub/given.png") == folders.input + "/sub/given.png")
        #expect(throws: FileNameError(name: "made.png", folder: "input", problem: .missing)) {
            try folders.existingFile(annotated: "made.png")
        }
        #expect(throws: FileNameError(name: "sub", folder: "input", problem: .missing)) {
            try folders.existingFile(annotated: "sub")
        }
    }

    @Test func registersForNodesAndValidation() {
        let resources = Resources()
        FolderPaths(base: "/srv/comfy").register(in: resources)
        #expect(resources.get(FolderPaths.self)?.output == "/srv/comfy/output")
        #expect(resources.get((any FileCatalog).self)?.searchedLocations(for: "temp") == ["/srv/comfy/temp"])
    }
}
