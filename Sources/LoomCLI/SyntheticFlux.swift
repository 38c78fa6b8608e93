import ArgumentParser
import Foundation
import LoomModelFiles
import LoomVulkan

/// Flux dev's tensors (BFL names, guidance embedding) at any width and depth, for benchmarks at sizes no fixture has.
enum SyntheticFlux {
    /// Hidden width `width` in heads of `headDimension` (by default 128, 64 below 512), MLP 4×, T5-XXL context
    /// (4096) and CLIP-L pooled (768) inputs.
    static func tensors(width h: Int, doubleBlocks: Int, singleBlocks: Int, headDimension: Int? = nil) -> [(name: String, shape: [Int])] {
        let head = headDimension ?? (h >= 512 ? 128 : 64)
        var tensors: [(name: String, shape: [Int])] = []
        func linear(_ name: String, _ inputs: Int, _ outputs: Int) { tensors += [(name + ".weight", [outputs, inputs]), (name + ".bias", [outputs])] }
        func norms(_ name: String) { tensors += [(name + ".query_norm.scale", [head]), (name + ".key_norm.scale", [head])] }
        linear("img_in", 64, h)
        linear("txt_in", 4096, h)
        for embedder in ["time_in", "guidance_in"] {
            linear(embedder + ".in_layer", 256, h)
            linear(embedder + ".out_layer", h, h)
        }
        linear("vector_in.in_layer", 768, h)
        linear("vector_in.out_layer", h, h)
        for block in 0..<doubleBlocks {
            for stream in ["img", "txt"] {
                let name = "double_blocks.\(block).\(stream)"
                linear(name + "_mod.lin", h, 6 * h)
                linear(name + "_attn.qkv", h, 3 * h)
                norms(name + "_attn.norm")
                linear(name + "_attn.proj", h, h)
                linear(name + "_mlp.0", h, 4 * h)
                linear(name + "_mlp.2", 4 * h, h)
            }
        }
        for block in 0..<singleBlocks {
            let name = "single_blocks.\(block)"
            linear(name + ".linear1", h, 7 * h)
            linear(name + ".linear2", 5 * h, h)
            norms(name + ".norm")
            linear(name + ".modulation.lin", h, 3 * h)
        }
        linear("final_layer.linear", h, 64)
        linear("final_layer.adaLN_modulation.1", h, 2 * h)
        return tensors
    }

    /// A LoRA of rank `rank` on every block matrix of such a model, in BFL/ComfyUI native names.
    static func lora(of model: [(name: String, shape: [Int])], rank: Int) -> [(name: String, shape: [Int])] {
        model.filter { $0.name.contains("blocks.") && $0.name.hasSuffix(".weight") && $0.shape.count == 2 }.flatMap { tensor in
            let module = "diffusion_model." + tensor.name.dropLast(".weight".count)
            return [(module + ".lora_up.weight", [tensor.shape[0], rank]), (module + ".lora_down.weight", [rank, tensor.shape[1]])]
        }
    }

    /// Such a model with seeded random weights held in memory (no file): matrices stored as `dtype` with values
    /// of about 1/√width, biases small and norm scales near 1 in bf16, every tensor a view of a shared pool.
    static func inMemory(width: Int, heads: Int, doubleBlocks: Int, singleBlocks: Int, dtype: DType) throws -> ModelFile {
        let storage: [DType: TensorDataType] = [.f32: .float32, .f16: .float16, .bf16: .bfloat16, .f8E4M3: .float8E4M3]
        guard let matrixType = storage[dtype] else { throw ValidationError("synthetic weights are f32, f16, bf16 or f8_e4m3, not \(dtype.rawValue)") }
        let tensors = Self.tensors(width: width, doubleBlocks: doubleBlocks, singleBlocks: singleBlocks, headDimension: width / heads)
        let isScale = { (name: String) in name.hasSuffix(".scale") }
        let largest = { (select: ((name: String, shape: [Int])) -> Bool) in
            tensors.filter(select).map { $0.shape.reduce(1, *) }.max() ?? 0
        }
        var random = SystemRandomNumberGenerator.Seeded(seed: 5)
        func pool(_ type: DType, count: Int, center: Float, spread: Float) -> [UInt8] {
            // Some room beyond the largest tensor, so tensors of one size start at different offsets.
            type.encode((0..<(count + 4096)).map { _ in center + spread * (Float(random.next() >> 40) / Float(1 << 23) - 1) })
        }
        let pools: [(dataType: TensorDataType, bytes: [UInt8])] = [
            (matrixType, pool(dtype, count: largest { $0.shape.count == 2 }, center: 0, spread: 1 / Float(width).squareRoot())),
            (.bfloat16, pool(.bf16, count: largest { $0.shape.count == 1 && !isScale($0.name) }, center: 0, spread: 0.05)),
            (.bfloat16, pool(.bf16, count: largest { isScale($0.name) }, center: 1, spread: 0.1)),
        ]
        let placed = tensors.map { tensor in
            (name: tensor.name, shape: tensor.shape, pool: tensor.shape.count == 2 ? 0 : isScale(tensor.name) ? 2 : 1)
        }
        return try ModelFile.sharingPools(path: "synthetic Flux (\(dtype.rawValue))", pools: pools, tensors: placed)
    }
}
