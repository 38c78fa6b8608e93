import Foundation

/// Embedding tables (embedding.comp) and sinusoidal timestep embeddings.

extension CommandRecorder {
    /// Rows `ids` of `weight` ([vocabulary, D] in any `DType`, contiguous) as a contiguous f32
    /// [ids.count, D].
    public func embedding(_ weight: Tensor, ids: [Int]) throws(VulkanError) -> Tensor {
        guard weight.rank == 2, weight.isContiguous else { throw .invalidArgument("embedding: weight must be a contiguous [vocabulary, D], not \(weight.shape)") }
        let (vocabulary, width) = (weight.shape[0], weight.shape[1])
        guard [weight.offset, width].allSatisfy({ $0 % weight.dtype.elementsPerBlock == 0 }) else {
            throw .invalidArgument("embedding: \(weight.dtype) rows of \(width) are not whole blocks")
        }
        if let bad = ids.first(where: { !(0..<vocabulary).contains($0) }) {
            throw .invalidArgument("embedding: id \(bad) outside the vocabulary of \(vocabulary)")
        }
        let output = try context.makeTensor(shape: [ids.count, width])
        if output.count == 0 { return output }
        // The ids travel as 32-bit words in an f32-typed buffer; the shader reads them as uint.
        let words = ids.map { UInt32($0) }
        let idTensor = try rethrowingVulkanErrors {
            try words.withUnsafeBytes { try context.upload(bytes: $0, shape: [ids.count], dtype: .f32) }
        }
        let weightsPerWord = max(4 / weight.dtype.bytesPerBlock, 1)
        let wordAligned = [weight.offset, width].allSatisfy { $0 % weightsPerWord == 0 }
        var push = PushConstants()
        push.append([width, idTensor.offset, weight.offset, output.offset, output.count])
        let pipeline = try context.pipelines.pipeline(.embedding(weight.dtype), bindings: 3, constants: [wordAligned ? 1 : 0])
        try dispatch(pipeline, buffers: [idTensor.storage, weight.storage, output.storage], written: [2], push: push,
                     groups: linearGroups(output.count))
        return output
    }
}

/// Sinusoidal timestep embeddings as Flux computes them (`timestep_embedding` in ComfyUI's
/// `comfy/ldm/flux/layers.py`): with half = dimension/2 and frequencies
/// fᵢ = exp(−ln(maxPeriod)·i/half), the row of timestep t is [cos(a), sin(a)] for
/// a = (timeFactor·t)·f (cosines first), zero-padded when `dimension` is odd. Frequencies and
/// arguments are rounded to f32 as PyTorch computes them; the result is B × dimension values,
/// computed on the host.
public func timestepEmbedding(_ timesteps: [Float], dimension: Int, maxPeriod: Double = 10_000, timeFactor: Float = 1_000) -> [Float] {
    let half = dimension / 2
    let frequencies = (0..<half).map { Float(exp(Double(Float(-log(maxPeriod)) * Float($0) / Float(half)))) }
    return timesteps.flatMap { t -> [Float] in
        let arguments = frequencies.map { Double(timeFactor * t * $0) }
        return arguments.map { Float(cos($0)) } + arguments.map { Float(sin($0)) } + (dimension % 2 == 1 ? [0] : [])
    }
}

extension ShaderVariant {
    static func embedding(_ dtype: DType) -> ShaderVariant {
        switch dtype {
        case .f32: .embeddingF32
        case .f16: .embeddingF16
        case .bf16: .embeddingBf16
        case .f8E4M3: .embeddingF8E4m3
        case .q8_0: .embeddingQ80
        case .q4_0: .embeddingQ40
        }
    }
}
