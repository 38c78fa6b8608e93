/// A model file that does not hold what the model needs.
public enum ModelLoadingError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingTensor(name: String, file: String)
    case unexpectedShape(name: String, file: String, expected: [Int], found: [Int])
    case unsupported(file: String, reason: String)
    case device(String)
    /// An adapter's change does not fit the weight it names.
    case patchShape(name: String, weightShape: [Int], patchValues: Int, rows: Range<Int>?)
    /// An adapter pads a weight to a shape smaller than it, or of another rank.
    case patchPadding(name: String, weightShape: [Int], paddedShape: [Int])

    public var description: String {
        switch self {
        case .missingTensor(let name, let file):
            "\(file) has no tensor '\(name)'; it is not a file of the expected model type, or it is damaged"
        case .unexpectedShape(let name, let file, let expected, let found):
            "tensor '\(name)' in \(file) has shape \(found), expected \(expected)"
        case .unsupported(let file, let reason):
            "\(file): \(reason)"
        case .device(let message):
            "could not place the weights on the device: \(message)"
        case .patchShape(let name, let weightShape, let patchValues, let rows):
            "a LoRA patch for '\(name)' has \(patchValues) values, which do not fit the weight's shape \(weightShape)"
                + (rows.map { " (rows \($0.lowerBound)..<\($0.upperBound))" } ?? "")
        case .patchPadding(let name, let weightShape, let paddedShape):
            "a LoRA pads '\(name)' of shape \(weightShape) to \(paddedShape), which does not contain it"
        }
    }
}
