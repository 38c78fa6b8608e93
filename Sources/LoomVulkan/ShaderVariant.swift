import Foundation

/// One compiled variant of a GLSL source in `shaders/` (see `shaders/variants.txt`); the build
/// plugin declares every variant as a static member of this type.
public struct ShaderVariant: Hashable, Sendable {
    public let name: String
    let spirvBase64: String

    public static func == (lhs: ShaderVariant, rhs: ShaderVariant) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// False for an optional variant (`?` in variants.txt) that the build's glslang could not compile.
    var isAvailable: Bool { !spirvBase64.isEmpty }

    /// SPIR-V words.
    var spirv: [UInt32] {
        let data = Data(base64Encoded: spirvBase64)!
        return data.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
    }
}
