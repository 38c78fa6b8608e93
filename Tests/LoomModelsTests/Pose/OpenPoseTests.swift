import Foundation
import LoomGraph
import LoomImaging
import LoomModelFiles
@testable import LoomModels
import LoomVulkan
import Testing

/// The OpenPose annotator against comfyui_controlnet_aux: networks on the tiny fixtures, and decoding and
/// drawing on synthetic skeletons (make_openpose_golden.py).
@Suite struct OpenPoseTests {
    static func weights(_ name: String) throws -> ModelWeights {
        ModelWeights(file: try ModelFile.open(path: PoseGolden.modelsDirectory.appendingPathComponent(name).path),
                     context: try ComputeDevice.processDefault.context())
    }

    @Test func bodyNetworkMatchesThePack() throws {
        let network = try OpenPoseBodyNetwork(weights: Self.weights("body_pose_model-tiny.pth"))
        #expect(network.stageCount == 2)
        let input = PoseGolden.image(PoseGolden.network, "body.input")
        let (affinities, heatmaps) = try network.affinitiesAndHeatmaps(AnnotatorResizing.networkInput(input))
        let expectedAffinities = PoseGolden.tensor(PoseGolden.network, "body.affinities")
        let expectedHeatmaps = PoseGolden.tensor(PoseGolden.network, "body.heatmaps")
        #expect(affinities.shape == expectedAffinities.shape && heatmaps.shape == expectedHeatmaps.shape)
        let affinityError = nmse(expectedAffinities.values, affinities.values), heatmapError = nmse(expectedHeatmaps.values, heatmaps.values)
        #expect(affinityError <= encoderThreshold, "affinities NMSE \(affinityError)")
        #expect(heatmapError <= encoderThreshold, "heatmaps NMSE \(heatmapError)")
    }

    @Test func handNetworkMatchesThePack() throws {
        let network = try OpenPoseKeypointNetwork(weights: Self.weights("hand_pose_model-tiny-legacy.pth"), kind: .hand)
        let heatmaps = try network.heatmaps(AnnotatorResizing.networkInput(PoseGolden.image(PoseGolden.network, "hand.input")))
        let expected = PoseGolden.tensor(PoseGolden.network, "hand.heatmaps")
        #expect(heatmaps.shape == expected.shape)
        let error = nmse(expected.values, heatmaps.values)
        #expect(error <= encoderThreshold, "hand heatmaps NMSE \(error)")
    }

    @Test func faceNetworkMatchesThePack() throws {
        let network = try OpenPoseKeypointNetwork(weights: Self.weights("facenet-tiny.pth"), kind: .face)
        let heatmaps = try network.heatmaps(AnnotatorResizing.networkInput(PoseGolden.image(PoseGolden.network, "face.input")))
        let expected = PoseGolden.tensor(PoseGolden.network, "face.heatmaps")
        #expect(heatmaps.shape == expected.shape)
        let error = nmse(expected.values, heatmaps.values)
        #expect(error <= encoderThreshold, "face heatmaps NMSE \(error)")
    }

    @Test func wrongFilesAreRefusedByName() throws {
        #expect(throws: ModelLoadingError.self) { try OpenPoseBodyNetwork(weights: Self.weights("hand_pose_model-tiny-legacy.pth")) }
        #expect(throws: ModelLoadingError.self) { try OpenPoseKeypointNetwork(weights: Self.weights("body_pose_model-tiny.pth"), kind: .hand) }
        #expect(throws: ModelLoadingError.self) { try OpenPoseKeypointNetwork(weights: Self.weights("hand_pose_model-tiny-legacy.pth"), kind: .face) }
    }

    /// person.png as LoadImage gives it, at resolution 512: the network sees exactly the pack's input (cubic
    /// enlargement, edge padding, area reduction to 184 rows, grey padding), and random weights find nobody: a black map.
    @Test func personImageGivesThePacksInputAndABlackMap() throws {
        let path = PoseGolden.directory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("graphs/input/person.png").path
        let raster = try RasterImage(decodingPNG: [UInt8](Data(contentsOf: URL(fileURLWithPath: path))))
        let image = ByteImage(frame: 0, of: Image(rgbOf: raster))
        let (padded, height, width) = try OpenPoseDetector.resizedWithPad(image, resolution: 512)
        #expect([height, width] == [683, 512] && [padded.height, padded.width] == [704, 512])
        let body = BodyPoseEstimator(network: try OpenPoseBodyNetwork(weights: Self.weights("body_pose_model-tiny.pth")))
        let input = try body.networkInput(for: padded.reversingChannels()).image
        let expected = PoseGolden.image(PoseGolden.network, "body.input")
        #expect(input.height == expected.height && input.width == expected.width)
        let difference = byteDifferences(input.samples, expected.samples)
        #expect(difference.count == 0, "\(difference)")

        let detection = try OpenPoseDetector(body: body).detect(image, options: .init(resolution: 512, hands: false, face: false))
        #expect(PoseGolden.integers(PoseGolden.network, "person.map_shape") == [683, 512, 3])
        #expect(detection.map.height == 683 && detection.map.width == 512)
        #expect(detection.people.isEmpty && detection.map.samples.allSatisfy { $0 == 0 })
    }

    @Test(arguments: ["one", "three", "missing"])
    func decodingAndDrawingMatchThePack(_ name: String) throws {
        let expected = PoseGolden.document["cases"]![name]!
        let network = ReplayedBodyNetwork(affinities: PoseGolden.tensor(PoseGolden.decode, "\(name).affinities"),
                                          heatmaps: PoseGolden.tensor(PoseGolden.decode, "\(name).heatmaps"))
        let height = expected["height"]!.intValue!, width = expected["width"]!.intValue!, resolution = expected["resolution"]!.intValue!
        let image = ByteImage(height: height, width: width, channels: 3, repeating: 90)
        let detector = OpenPoseDetector(body: BodyPoseEstimator(network: network))

        // Body.__call__'s candidates (x, y, score, id) and people rows.
        let padded = try OpenPoseDetector.resizedWithPad(image, resolution: resolution).image.reversingChannels()
        let maps = try detector.body.maps(for: padded)
        let peaks = (0..<18).reduce(into: [[BodyPoseDecoder.Candidate]]()) { peaks, part in
            peaks.append(BodyPoseDecoder.findPeaks(maps.heatmaps[part], height: padded.height, width: padded.width,
                                                   firstID: peaks.reduce(0) { $0 + $1.count }))
        }
        let candidates = peaks.flatMap { $0 }
        let expectedCandidates = expected["candidate"]!.arrayValue!.map { PoseGolden.doubles($0)! }
        let found: [[Double]] = candidates.map { [Double($0.x), Double($0.y), Double($0.id)] }
        let reference: [[Double]] = expectedCandidates.map { [$0[0], $0[1], $0[3]] }
        #expect(found == reference)
        for (candidate, reference) in zip(candidates, expectedCandidates) {
            #expect(abs(candidate.score - reference[2]) <= 1e-6, "score of candidate \(candidate.id)")
        }
        let bodies = BodyPoseDecoder.decode(heatmaps: maps.heatmaps, affinities: maps.affinities, height: padded.height, width: padded.width)
        let subset = expected["subset"]!.arrayValue!.map { PoseGolden.doubles($0)! }
        #expect(bodies.count == subset.count)
        for (body, row) in zip(bodies, subset) {
            let ids: [Double] = body.keypoints.map { point -> Double in point.map { Double($0.id) } ?? -1 }
            #expect(ids == Array(row[0..<18]))
            #expect(abs(body.totalScore - row[18]) <= 1e-5 && body.totalParts == row[19])
        }

        // The node's outputs: the keypoints exactly, the map pixel for pixel.
        let detection = try detector.detect(image, options: .init(resolution: resolution, hands: false, face: false))
        let pose = expected["pose"]!
        #expect(pose["canvas_height"]?.intValue == detection.canvasHeight && pose["canvas_width"]?.intValue == detection.canvasWidth)
        let people = pose["people"]!.arrayValue!
        #expect(people.count == detection.people.count)
        for (person, reference) in zip(detection.people, people) {
            let flat: [Double] = person.body.keypoints.flatMap { point -> [Double] in point.map { [$0.x, $0.y, 1] } ?? [0, 0, 0] }
            #expect(flat == PoseGolden.doubles(reference["pose_keypoints_2d"]))
            #expect(reference["hand_left_keypoints_2d"]?.isNull == true && reference["face_keypoints_2d"]?.isNull == true)
        }
        let map = try PoseGolden.png("decode-\(name).png")
        let difference = byteDifferences(detection.map.samples, map.samples)
        #expect(difference.count == 0, "\(difference) of \(map.samples.count) samples differ")
        #expect(detection.map.samples.reduce(0) { $0 + Int($1) } == expected["map_sum"]!.intValue!)
        let sticks = try detector.detect(image, options: .init(resolution: resolution, hands: false, face: false, scaleSticksForXinsir: true))
        #expect(sticks.map.samples.reduce(0) { $0 + Int($1) } == expected["xinsr_map_sum"]!.intValue!)
    }

    /// Hands and faces found around the synthetic skeletons by stand-in networks: keypoints as the pack's dict
    /// holds them (float32 values), and the map with rainbow hands and white face dots, pixel for pixel.
    @Test(arguments: ["one", "three", "missing"])
    func handsAndFacesMatchThePack(_ name: String) throws {
        let expected = PoseGolden.document["cases"]![name]!
        let detector = OpenPoseDetector(
            body: BodyPoseEstimator(network: ReplayedBodyNetwork(affinities: PoseGolden.tensor(PoseGolden.decode, "\(name).affinities"),
                                                                 heatmaps: PoseGolden.tensor(PoseGolden.decode, "\(name).heatmaps"))),
            hand: HandPoseEstimator(network: SyntheticKeypointNetwork.fromGolden(.hand)),
            face: FacePoseEstimator(network: SyntheticKeypointNetwork.fromGolden(.face)))
        let image = ByteImage(height: expected["height"]!.intValue!, width: expected["width"]!.intValue!, channels: 3, repeating: 90)
        let detection = try detector.detect(image, options: .init(resolution: expected["resolution"]!.intValue!))
        let people = expected["hands_face_pose"]!["people"]!.arrayValue!
        #expect(people.count == detection.people.count)
        func flat(_ points: [PoseKeypoint?]?) -> [Double]? { points.map { $0.flatMap { $0.map { [$0.x, $0.y, 1] } ?? [0, 0, 0] } } }
        for (person, reference) in zip(detection.people, people) {
            for (key, points) in [("hand_left_keypoints_2d", flat(person.leftHand)), ("hand_right_keypoints_2d", flat(person.rightHand)),
                                  ("face_keypoints_2d", flat(person.face))] {
                #expect(points == PoseGolden.doubles(reference[key]), "\(key)")
                if points == nil { #expect(reference[key]?.isNull == true, "\(key)") }
            }
        }
        let map = try PoseGolden.png("decode-\(name)-hands-face.png")
        let difference = byteDifferences(detection.map.samples, map.samples)
        #expect(difference.count == 0, "\(difference) of \(map.samples.count) samples differ")
    }
}
