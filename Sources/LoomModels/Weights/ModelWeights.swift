import Foundation
import LoomModelFiles
import LoomVulkan

/// The tensors of one model inside a file (an all-in-one checkpoint holds several, each under its
/// own prefix), placed on the device as they are stored: bf16, f16, fp8 and GGUF q8_0/q4_0 weights
/// are read by the shaders directly, never widened to f32 in memory.
public struct ModelWeights: Sendable {
    public let file: ModelFile
    /// Prepended to every name: `"model.diffusion_model."`, `"vae."`, or `""`.
    public let prefix: String
    public let context: VulkanContext
    /// When set, `linear` stores f32, f16 and bf16 matrices this way instead (UNETLoader's
    /// `weight_dtype: fp8_e4m3fn` halves a bf16 model's memory); biases and other tensors keep theirs.
    public var linearWeightConversion: LinearWeightConversion?
    /// Adapter changes by the weight's full name in the file (prefix included), added in f32 as each
    /// weight is placed: float weights keep their dtype, fp8 and GGUF-quantised ones become f16 so that
    /// a small change is not rounded away.
    public var patches: [String: [WeightPatch]]
    /// Weights a file keeps under other names, by the full name networks ask for (prefix included): the
    /// stored tensors whose rows, in order, make up the weight. Lets BFL-layout networks read a model stored
    /// in diffusers' names (Flux ControlNets), fused q/k/v included, without converting the file.
    public var storedNames: [String: [String]]

    public init(file: ModelFile, prefix: String = "", context: VulkanContext,
                linearWeightConversion: LinearWeightConversion? = nil, patches: [String: [WeightPatch]] = [:],
                storedNames: [String: [String]] = [:]) {
        self.file = file
        self.prefix = prefix
        self.context = context
        self.linearWeightConversion = linearWeightConversion
        self.patches = patches
        self.storedNames = storedNames
    }

    /// The same file with a longer prefix, for one sub-module.
    public func scoped(_ subPrefix: String) -> ModelWeights {
        ModelWeights(file: file, prefix: prefix + subPrefix, context: context, linearWeightConversion: linearWeightConversion,
                     patches: patches, storedNames: storedNames)
    }

    public func contains(_ name: String) -> Bool {
        if let sources = storedNames[prefix + name] { return sources.allSatisfy { file[$0] != nil } }
        return file[prefix + name] != nil
    }

    /// A weight as stored; booleans and integers, which PyTorch would silently cast, are refused.
    public func stored(_ name: String) throws(ModelLoadingError) -> StoredTensor {
        let fullName = prefix + name
        let tensor: StoredTensor
        if let sources = storedNames[fullName] {
            var parts: [StoredTensor] = []
            for source in sources {
                guard let part = file[source] else { throw .missingTensor(name: source, file: file.path) }
                parts.append(part)
            }
            if parts.count == 1 {
                tensor = parts[0].renamed(fullName)
            } else if let joined = StoredTensor.concatenatingRows(parts, named: fullName) {
                tensor = joined
            } else {
                throw .unsupported(file: file.path, reason: "\(sources.joined(separator: ", ")) differ in storage type or shape, so they do not form '\(fullName)'")
            }
        } else {
            guard let found = file[fullName] else { throw .missingTensor(name: fullName, file: file.path) }
            tensor = found
        }
        guard tensor.dataType.holdsRealNumbers else {
            throw .unsupported(file: file.path, reason: "tensor '\(fullName)' is stored as \(tensor.dataType.name); weights must be floating point")
        }
        return tensor
    }

    /// A scaled-fp8 file's per-tensor scale for a weight; nil without one.
    private func weightScale(of weightName: String) throws(ModelLoadingError) -> StoredTensor? {
        let fullName = prefix + weightName
        guard let sources = storedNames[fullName] else { return file.weightScale(for: fullName) }
        let scales = sources.compactMap { file.weightScale(for: $0) }
        if scales.isEmpty { return nil }
        guard sources.count == 1 else {
            throw .unsupported(file: file.path, reason: "'\(fullName)' is made of \(sources.count) scaled-fp8 tensors with scales of their own")
        }
        return scales[0]
    }

    /// The stored values as Float with a per-tensor scale applied.
    private func scaledFloats(_ name: String, _ stored: StoredTensor) throws(ModelLoadingError) -> [Float] {
        let values = stored.floats()
        guard let scale = try weightScale(of: name)?.floats(), scale.count == 1 else { return values }
        return values.map { $0 * scale[0] }
    }

    /// The weight's shape as networks see it: a LoRA that pads the weight (BFL control LoRAs' `img_in`) widens it.
    public func shape(of name: String) throws(ModelLoadingError) -> [Int] {
        WeightPatch.shape(of: try stored(name).shape, patchedBy: patches[prefix + name] ?? [])
    }

    /// A weight in its stored dtype where the shaders read that dtype; other storage (fp8 e5m2, GGUF
    /// q4_1/q5/K-quants) is dequantised on the host to f16, or f32 for vectors.
    public func tensor(_ name: String, shape expected: [Int]? = nil) throws(ModelLoadingError) -> Tensor {
        let stored = try stored(name)
        if let (patched, shape) = try patchedValues(name, stored) {
            try check(name, shape, expected)
            return try onDevice { () throws(VulkanError) in
                try context.upload(patched, shape: shape, dtype: Self.patchedType(of: stored))
            }
        }
        try check(name, stored.shape, expected)
        if let dtype = Self.deviceType(of: stored.dataType) {
            return try onDevice { () throws(VulkanError) in
                try stored.withUnsafeBytes { bytes throws(VulkanError) in
                    try context.upload(bytes: bytes, shape: stored.shape, dtype: dtype)
                }
            }
        }
        return try onDevice { () throws(VulkanError) in
            try context.upload(stored.floats(), shape: stored.shape, dtype: stored.shape.count >= 2 ? .f16 : .f32)
        }
    }

    /// A small tensor (bias, norm scale, embedding table row data) as f32, whatever its storage.
    public func float32(_ name: String, shape expected: [Int]? = nil) throws(ModelLoadingError) -> Tensor {
        let stored = try stored(name)
        let (values, shape) = try patchedValues(name, stored) ?? (stored.floats(), stored.shape)
        try check(name, shape, expected)
        return try onDevice { () throws(VulkanError) in try context.upload(values, shape: shape, dtype: .f32) }
    }

    /// A convolution kernel: f32, f16 and bf16 as stored, anything else converted to f16.
    public func convolutionKernel(_ name: String, shape expected: [Int]? = nil) throws(ModelLoadingError) -> Tensor {
        let stored = try stored(name)
        if [.float32, .float16, .bfloat16].contains(stored.dataType) { return try tensor(name, shape: expected) }
        let (values, shape) = try patchedValues(name, stored) ?? (stored.floats(), stored.shape)
        try check(name, shape, expected)
        return try onDevice { () throws(VulkanError) in try context.upload(values, shape: shape, dtype: .f16) }
    }

    /// The values on the host as Float (scaled-fp8 scale applied), for small tensors.
    public func floats(_ name: String) throws(ModelLoadingError) -> [Float] {
        let stored = try stored(name)
        if let (patched, _) = try patchedValues(name, stored) { return patched }
        return try scaledFloats(name, stored)
    }

    /// `<module>.weight` and, when present, `<module>.bias`, with a scaled-fp8 file's per-tensor scale.
    public func linear(_ module: String, inputs: Int? = nil, outputs: Int? = nil) throws(ModelLoadingError) -> Linear {
        let weightName = module + ".weight"
        let shape = try shape(of: weightName)
        guard shape.count == 2 else { throw .unexpectedShape(name: prefix + weightName, file: file.path, expected: [outputs ?? -1, inputs ?? -1], found: shape) }
        if (inputs.map { $0 != shape[1] } ?? false) || (outputs.map { $0 != shape[0] } ?? false) {
            throw .unexpectedShape(name: prefix + weightName, file: file.path, expected: [outputs ?? shape[0], inputs ?? shape[1]], found: shape)
        }
        var scale: Float = 1
        if let stored = try weightScale(of: weightName) {
            let values = stored.floats()
            guard values.count == 1 else { throw .unsupported(file: file.path, reason: "block-wise fp8 scales on '\(prefix + weightName)' are not supported") }
            scale = values[0]
        }
        let bias = contains(module + ".bias") ? try float32(module + ".bias", shape: [shape[0]]) : nil
        let stored = try stored(weightName)
        if let (patched, _) = try patchedValues(weightName, stored) {
            // The file's scale is inside the patched values.
            let dtype = linearWeightConversion?.deviceType ?? Self.patchedType(of: stored)
            let weight = try onDevice { () throws(VulkanError) in try context.upload(patched, shape: shape, dtype: dtype) }
            return Linear(weight: weight, weightScale: 1, bias: bias)
        }
        if let linearWeightConversion, [.float32, .float16, .bfloat16].contains(stored.dataType) {
            // Converted on the host, as the weights are read, like ComfyUI's cast on load.
            let converted = try onDevice { () throws(VulkanError) in
                try context.upload(stored.floats(), shape: shape, dtype: linearWeightConversion.deviceType)
            }
            return Linear(weight: converted, weightScale: scale, bias: bias)
        }
        return Linear(weight: try tensor(weightName), weightScale: scale, bias: bias)
    }

    /// The weight's values with its patches added and its shape after them, or nil when it has none.
    private func patchedValues(_ name: String, _ stored: StoredTensor) throws(ModelLoadingError) -> ([Float], [Int])? {
        guard let patches = patches[prefix + name], !patches.isEmpty else { return nil }
        var values = try scaledFloats(name, stored)
        var shape = stored.shape
        try WeightPatch.apply(patches, to: &values, shape: &shape, name: prefix + name)
        return (values, shape)
    }

    /// The dtype a patched weight is stored in: its own for f32, f16 and bf16; f16 (f32 for vectors) otherwise.
    private static func patchedType(of stored: StoredTensor) -> DType {
        switch stored.dataType {
        case .float32: .f32
        case .float16: .f16
        case .bfloat16: .bf16
        default: stored.shape.count >= 2 ? .f16 : .f32
        }
    }

    private func check(_ name: String, _ shape: [Int], _ expected: [Int]?) throws(ModelLoadingError) {
        if let expected, expected != shape {
            throw .unexpectedShape(name: prefix + name, file: file.path, expected: expected, found: shape)
        }
    }

    private func onDevice(_ body: () throws(VulkanError) -> Tensor) throws(ModelLoadingError) -> Tensor {
        do { return try body() } catch { throw .device(String(describing: error)) }
    }

    /// The device dtype the shaders read for a storage type, if any.
    static func deviceType(of dataType: TensorDataType) -> DType? {
        switch dataType {
        case .float32: .f32
        case .float16: .f16
        case .bfloat16: .bf16
        case .float8E4M3: .f8E4M3
        case .q8_0: .q8_0
        case .q4_0: .q4_0
        default: nil
        }
    }
}

/// A storage type linear weights are converted to as they load.
public enum LinearWeightConversion: Sendable {
    /// float8 e4m3fn, rounded to nearest even as PyTorch's cast does.
    case float8E4M3

    var deviceType: DType {
        switch self {
        case .float8E4M3: .f8E4M3
        }
    }
}

/// A PyTorch `Linear` on the device.
public struct Linear: Sendable {
    public let weight: Tensor
    public let weightScale: Float
    public let bias: Tensor?

    public var inputCount: Int { weight.shape[1] }
    public var outputCount: Int { weight.shape[0] }

    public func callAsFunction(_ x: Tensor, epilogue: MatmulEpilogue = .none, storing outputDType: DType = .f32,
                               on recorder: CommandRecorder) throws(VulkanError) -> Tensor {
        try recorder.linear(x, weight: weight, weightScale: weightScale, bias: bias, epilogue: epilogue, outputDType: outputDType)
    }
}
