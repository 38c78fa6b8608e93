import Foundation
import LoomGraph
import LoomImaging
import LoomNodes
import Testing

/// RenderPeopleKps and SavePoseKpsAsJsonFile against comfyui_controlnet_aux (make_openpose_golden.py's render cases).
@Suite struct PoseKeypointNodeTests {
    static let golden = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden/pose")

    static let document: JSONValue = {
        do { return try JSONValue(parsing: [UInt8](Data(contentsOf: golden.appendingPathComponent("decode.json")))) } catch { fatalError("\(error)") }
    }()

    static func run<N: Node>(_ type: N.Type, _ values: [String: NodeValue], resources: Resources = Resources()) async throws -> NodeResult {
        try await N().execute(NodeInputs(values, nodeID: "3", classType: N.schema.name),
                              context: NodeContext(nodeID: "3", promptID: "p", resources: resources, progress: { _, _ in }))
    }

    static func png(_ name: String) throws -> [UInt8] {
        let raster = try RasterImage(decodingPNG: [UInt8](Data(contentsOf: golden.appendingPathComponent(name))))
        return raster.samples.map { UInt8($0) }
    }

    @Test(arguments: [("three", true), ("pixels", false)])
    func renderingMatchesThePack(_ name: String, face: Bool) async throws {
        let kps: JSONValue = name == "three" ? Self.document["cases"]!["three"]!["hands_face_pose"]! : Self.document["render"]!["pixels"]!
        let result = try await Self.run(RenderPeopleKps.self, [
            "kps": JSONValue.array([kps]), "render_body": true, "render_hand": true, "render_face": face,
        ])
        let image = try #require(result.outputs[0] as? Image)
        #expect(image.height == 360 && image.width == 270)
        let samples = image.pixels.map { UInt8(truncatingUnit: $0) }
        let expected = try Self.png("render-\(name).png")
        #expect(samples.count == expected.count)
        #expect(zip(samples, expected).filter { $0 != $1 }.count == 0)
    }

    @Test func malformedKeypointsAreRefusedByName() async throws {
        let bad: [JSONValue] = [
            .array([]), .object(["people": .array([])]), .object(["canvas_height": .int(4), "canvas_width": .int(4),
                                                                    "people": .array([.object(["pose_keypoints_2d": .array([.double(1), .double(2)])])])]),
            .object(["canvas_height": .int(100_000), "canvas_width": .int(100_000)]),
        ]
        for value in bad {
            await #expect(throws: NodeError.self, "\(value.jsonText(indent: nil))") {
                try await Self.run(RenderPeopleKps.self, ["kps": value, "render_body": true, "render_hand": true, "render_face": true])
            }
        }
    }

    @Test func savesTheListAsPythonWritesIt() async throws {
        let folders = try TemporaryFolders()
        defer { folders.remove() }
        let resources = Resources()
        folders.folders.register(in: resources)
        let kps = JSONValue.array([.object(["people": .array([]), "canvas_height": .int(64), "canvas_width": .int(85)])])
        _ = try await Self.run(SavePoseKpsAsJsonFile.self, ["pose_kps": kps, "filename_prefix": "poses/%width%x%height%"], resources: resources)
        let path = folders.folders.output + "/poses/85x64_00001.json"
        #expect(try String(contentsOfFile: path, encoding: .utf8) == #"[{"people": [], "canvas_height": 64, "canvas_width": 85}]"#)
    }
}
