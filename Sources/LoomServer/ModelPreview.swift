import Foundation
import Loom
import LoomImaging

/// The picture ComfyUI's model library shows for a model file (`/experiment/models/preview/...`): an image beside
/// it named as the model (`name.png`, `name.preview.jpeg`, ...), else the first of a safetensors file's
/// `ssmd_cover_images` (base64 images in its metadata), as ComfyUI's model manager looks for them.
enum ModelPreview {
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "webp"]
    /// Previews are thumbnails; a larger picture is not decoded.
    static let maximumPixels = 4096 * 4096

    static func image(for model: URL) -> RasterImage? {
        let directory = model.deletingLastPathComponent()
        let stem = model.deletingPathExtension().lastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names.sorted() {
            let candidate = directory.appendingPathComponent(name)
            let candidateStem = candidate.deletingPathExtension().lastPathComponent
            guard imageExtensions.contains(candidate.pathExtension.lowercased()),
                candidateStem == stem || candidateStem == stem + ".preview"
            else { continue }
            if let image = try? ImageFile.read(at: candidate.path, maximumPixels: maximumPixels) { return image }
        }
        return coverImage(of: model)
    }

    private static func coverImage(of model: URL) -> RasterImage? {
        guard model.pathExtension == "safetensors", let file = try? ModelFile.open(path: model.path),
            let text = file.metadata["ssmd_cover_images"]?.stringValue,
            let covers = try? JSONValue(parsing: Array(text.utf8)).arrayValue,
            let first = covers.first?.stringValue, let bytes = Data(base64Encoded: first)
        else { return nil }
        return try? ImageFile.decode(Array(bytes), maximumPixels: maximumPixels)
    }
}
