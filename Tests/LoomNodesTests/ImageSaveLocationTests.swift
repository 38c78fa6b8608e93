import Foundation
import LoomNodes
import Testing

@Suite struct ImageSaveLocationTests {
    @Test func continuesAfterTheHighestExistingNumber() throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        let output = temporary.folders.output
        for name in ["ComfyUI_00003_.png", "ComfyUI_00012_.png", "ComfyUI_x_.png", "ComfyUIx_00099_.png", "Other_00050_.png"] {
            try temporary.write([0], to: output + "/" + name)
        }
        let location = try ImageSaveLocation(prefix: "ComfyUI", root: output, width: 8, height: 8)
        #expect(location.counter == 13)
        #expect(location.fileName(batchNumber: 0, counter: 13) == "ComfyUI_00013_.png")
        #expect(location.fileName(batchNumber: 0, counter: 123_456) == "ComfyUI_123456_.png")
        #expect(try ImageSaveLocation(prefix: "Fresh", root: output, width: 8, height: 8).counter == 1)
    }

    @Test func splitsSubfoldersAndExpandsTokens() throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        let output = temporary.folders.output
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .current
        let date = calendar.date(from: DateComponents(year: 2024, month: 3, day: 7, hour: 9, minute: 5, second: 2))!
        let location = try ImageSaveLocation(
            prefix: "runs/%year%-%month%-%day%/%hour%%minute%%second%_%width%x%height%_%batch_num%", root: output,
            width: 640, height: 480, date: date)
        #expect(location.subfolder == "runs/2024-03-07")
        #expect(location.directory == output + "/runs/2024-03-07")
        #expect(location.name == "090502_640x480_%batch_num%")
        #expect(location.fileName(batchNumber: 2, counter: 7) == "090502_640x480_2_00007_.png")
        // Inner `..` that stays inside collapses as os.path.normpath does.
        #expect(try ImageSaveLocation(prefix: "a/../b/name", root: output, width: 1, height: 1).subfolder == "b")
    }

    @Test func worksBeforeTheOutputFolderExists() throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        let root = temporary.folders.base + "/not/yet/output"
        let location = try ImageSaveLocation(prefix: "sub/name", root: root, width: 1, height: 1)
        #expect(location.directory == root + "/sub" && location.counter == 1)
        #expect(throws: FileNameError.self) { try ImageSaveLocation(prefix: "../../x", root: root, width: 1, height: 1) }
    }

    @Test func refusesPrefixesOutsideTheOutputFolder() throws {
        let temporary = try TemporaryFolders()
        defer { temporary.remove() }
        let output = temporary.folders.output
        #expect(throws: FileNameError.self) { try ImageSaveLocation(prefix: "../escape", root: output, width: 1, height: 1) }
        #expect(throws: FileNameError.self) { try ImageSaveLocation(prefix: "/tmp/abs", root: output, width: 1, height: 1) }
        try FileManager.default.createSymbolicLink(atPath: output + "/out", withDestinationPath: temporary.folders.input)
        #expect(throws: FileNameError.self) { try ImageSaveLocation(prefix: "out/x", root: output, width: 1, height: 1) }
    }
}
