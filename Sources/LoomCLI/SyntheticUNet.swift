import Foundation
import LoomModelFiles

/// An LDM-layout UNet file with random f16 weights, for benchmarks at widths no fixture has:
/// SDXL's structure (levels, depths, linear projections, 64-channel heads, ADM) at any width.
enum SyntheticUNet {
    /// SDXL base at `modelChannels` (320 is the real model), with SDXL's context (2048) and ADM (2816) widths.
    static func sdxl(modelChannels: Int) -> UNetParameters {
        UNetParameters(
            inChannels: 4, outChannels: 4, modelChannels: modelChannels, channelMultipliers: [1, 2, 4], resBlockCounts: [2, 2, 2],
            inputTransformerDepths: [0, 0, 2, 2, 10, 10], outputTransformerDepths: [10, 10, 10, 2, 2, 2, 0, 0, 0],
            middleBlock: .transformer(depth: 10), contextDimension: 2048, usesLinearProjection: true,
            admInChannels: 2816, attentionHeads: .channels(64))
    }

    /// Every tensor of a UNet with parameters `p`, in the LDM key layout, with its shape.
    static func tensors(_ p: UNetParameters) -> [(name: String, shape: [Int])] {
        var tensors: [(name: String, shape: [Int])] = []
        let embedding = p.timeEmbeddingDimension
        func linear(_ name: String, _ inputs: Int, _ outputs: Int, bias: Bool = true) {
            tensors.append((name + ".weight", [outputs, inputs]))
            if bias { tensors.append((name + ".bias", [outputs])) }
        }
        func convolution(_ name: String, _ inputs: Int, _ outputs: Int, kernel: Int = 3) {
            tensors += [(name + ".weight", [outputs, inputs, kernel, kernel]), (name + ".bias", [outputs])]
        }
        func norm(_ name: String, _ channels: Int) { tensors += [(name + ".weight", [channels]), (name + ".bias", [channels])] }
        func resBlock(_ name: String, _ inputs: Int, _ outputs: Int) {
            norm(name + ".in_layers.0", inputs)
            convolution(name + ".in_layers.2", inputs, outputs)
            linear(name + ".emb_layers.1", embedding, outputs)
            norm(name + ".out_layers.0", outputs)
            convolution(name + ".out_layers.3", outputs, outputs)
            if inputs != outputs { convolution(name + ".skip_connection", inputs, outputs, kernel: 1) }
        }
        func transformer(_ name: String, _ width: Int, _ depth: Int) {
            let context = p.contextDimension ?? width
            norm(name + ".norm", width)
            func projection(_ module: String) {
                if p.usesLinearProjection { linear(module, width, width) } else { convolution(module, width, width, kernel: 1) }
            }
            projection(name + ".proj_in")
            for index in 0..<depth {
                let block = "\(name).transformer_blocks.\(index)"
                for (attention, source) in [("attn1", width), ("attn2", context)] {
                    linear("\(block).\(attention).to_q", width, width, bias: false)
                    linear("\(block).\(attention).to_k", source, width, bias: false)
                    linear("\(block).\(attention).to_v", source, width, bias: false)
                    linear("\(block).\(attention).to_out.0", width, width)
                }
                for index in 1...3 { norm("\(block).norm\(index)", width) }
                linear(block + ".ff.net.0.proj", width, 8 * width)
                linear(block + ".ff.net.2", 4 * width, width)
            }
            projection(name + ".proj_out")
        }

        linear("time_embed.0", p.modelChannels, embedding)
        linear("time_embed.2", embedding, embedding)
        if let adm = p.admInChannels {
            linear("label_emb.0.0", adm, embedding)
            linear("label_emb.0.2", embedding, embedding)
        }
        convolution("input_blocks.0.0", p.inChannels, p.modelChannels)
        var width = p.modelChannels
        var skips = [width]
        var block = 1
        var depths = p.inputTransformerDepths.makeIterator()
        for level in 0..<p.levelCount {
            for _ in 0..<p.resBlockCounts[level] {
                resBlock("input_blocks.\(block).0", width, p.levelWidth(level))
                width = p.levelWidth(level)
                if let depth = depths.next(), depth > 0 { transformer("input_blocks.\(block).1", width, depth) }
                skips.append(width)
                block += 1
            }
            if level < p.levelCount - 1 {
                convolution("input_blocks.\(block).0.op", width, width)
                skips.append(width)
                block += 1
            }
        }
        resBlock("middle_block.0", width, width)
        if case .transformer(let depth) = p.middleBlock {
            transformer("middle_block.1", width, depth)
            resBlock("middle_block.2", width, width)
        }
        block = 0
        for level in (0..<p.levelCount).reversed() {
            for index in 0...p.resBlockCounts[level] {
                resBlock("output_blocks.\(block).0", width + skips.removeLast(), p.levelWidth(level))
                width = p.levelWidth(level)
                var layer = 1
                if p.outputTransformerDepths[block] > 0 {
                    transformer("output_blocks.\(block).1", width, p.outputTransformerDepths[block])
                    layer += 1
                }
                if level > 0, index == p.resBlockCounts[level] { convolution("output_blocks.\(block).\(layer).conv", width, width) }
                block += 1
            }
        }
        norm("out.0", width)
        convolution("out.2", width, p.outChannels)
        return tensors
    }

    /// Writes the tensors as f16 safetensors with seeded values of about 1/√fan-in (norm scales near 1).
    static func write(_ p: UNetParameters, to url: URL, seed: UInt64 = 3) throws {
        try SyntheticWeights.write(tensors(p), to: url, seed: seed)
    }
}

/// Random model files for benchmarks at sizes no fixture has.
enum SyntheticWeights {
    /// Writes `tensors` as f16 safetensors with seeded values of about 1/√fan-in (norm scales near 1, biases small).
    static func write(_ tensors: [(name: String, shape: [Int])], to url: URL, seed: UInt64 = 3) throws {
        var random = SystemRandomNumberGenerator.Seeded(seed: seed)
        var header: [String: Any] = [:]
        var offset = 0
        for tensor in tensors {
            let bytes = 2 * tensor.shape.reduce(1, *)
            header[tensor.name] = ["dtype": "F16", "shape": tensor.shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.write(contentsOf: withUnsafeBytes(of: UInt64(json.count).littleEndian) { Data($0) } + json)
        for tensor in tensors {
            let count = tensor.shape.reduce(1, *)
            let isScale = tensor.shape.count == 1 && tensor.name.hasSuffix(".weight")
            let isBias = tensor.name.hasSuffix(".bias")
            let spread = isScale || isBias ? 0.1 : 1 / Float(max(count / tensor.shape[0], 1)).squareRoot()
            let values = (0..<count).map { _ in
                Float16((isScale ? 1 : 0) + spread * (Float(random.next() % 2001) / 1000 - 1)).bitPattern.littleEndian
            }
            try handle.write(contentsOf: values.withUnsafeBytes { Data($0) })
        }
    }
}
