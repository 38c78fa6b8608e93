import Foundation
import LoomModelFiles
import LoomModels

/// Tests/Fixtures/golden/flux: tiny Flux checkpoints and the velocities ComfyUI's forward gives
/// for fixed inputs (scripts/fixtures/make_flux_golden.py).
struct FluxGolden {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden/flux")

    struct Case: Decodable {
        let name: String
        let model: String
        let timestep: Float
        let guidance: Float
        let x: String
        let context: String
        let pooled: String
        let velocity: String
        let concat: String?
        let trace: [String: String]?
    }

    private struct Manifest: Decodable {
        let arrays: [String: [Int]]
        let cases: [Case]
    }

    private let manifest: Manifest

    init() throws {
        let data = try Data(contentsOf: Self.directory.appendingPathComponent("manifest.json"))
        manifest = try JSONDecoder().decode(Manifest.self, from: data)
    }

    func testCase(_ name: String) -> Case { manifest.cases.first { $0.name == name }! }

    func array(_ name: String) throws -> HostTensor {
        try HostTensor(float32File: Self.directory.appendingPathComponent(name + ".f32"), shape: manifest.arrays[name]!)
    }

    func input(_ c: Case) throws -> DiffusionInput {
        DiffusionInput(x: try array(c.x), timestep: c.timestep, context: try array(c.context), vector: try array(c.pooled),
                       guidance: c.guidance, concat: try c.concat.map { try array($0) })
    }

    static func path(_ file: String) -> String { directory.appendingPathComponent(file).path }

    /// The checkpoint with the parameters the detector reads from it.
    static func open(_ file: String) throws -> (ModelFile, FluxParameters) {
        let model = try ModelFile.open(path: path(file))
        guard case .flux(let parameters) = ArchitectureDetector.detect(model).first?.architecture else {
            throw FluxModelError.unsupportedShape("\(file) is not detected as Flux")
        }
        return (model, parameters)
    }
}
