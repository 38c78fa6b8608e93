/// Normalised mean squared error Σ(actual − reference)² / Σreference², the measure of
/// shared/reference/vulkan.md; infinite when the counts differ or a value is not finite.
func nmse(_ actual: [Float], reference: [Float]) -> Double {
    guard actual.count == reference.count, actual.allSatisfy(\.isFinite) else { return .infinity }
    var error = 0.0, energy = 0.0
    for (a, r) in zip(actual, reference) {
        error += Double(a - r) * Double(a - r)
        energy += Double(r) * Double(r)
    }
    return error / energy
}
