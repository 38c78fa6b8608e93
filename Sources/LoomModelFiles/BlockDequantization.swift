/// CPU dequantisation of ggml's blocks, following the block layouts in ggml-common.h. Shaders do this
/// on the GPU; these are the reference the shader tests compare against.
enum BlockDequantization {
    static func floats(from bytes: UnsafeRawBufferPointer, dataType: TensorDataType, count: Int) -> [Float] {
        let blockBytes = dataType.blockByteCount
        let blockSize = dataType.blockSize
        return [Float](unsafeUninitializedCapacity: count) { output, initialized in
            for block in 0..<(count / blockSize) {
                let source = UnsafeRawBufferPointer(rebasing: bytes[(block * blockBytes)..<((block + 1) * blockBytes)])
                let destination = UnsafeMutableBufferPointer(rebasing: output[(block * blockSize)..<((block + 1) * blockSize)])
                switch dataType {
                case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: KQuantDequantization.decode(source, dataType, into: destination)
                default: decode(source, dataType, into: destination)
                }
            }
            initialized = count
        }
    }

    static func half(_ block: UnsafeRawBufferPointer, at offset: Int) -> Float {
        ScalarConversion.float(fromHalf: UInt16(littleEndian: block.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    /// The 32-element types.
    private static func decode(_ block: UnsafeRawBufferPointer, _ dataType: TensorDataType, into output: UnsafeMutableBufferPointer<Float>) {
        let scale = half(block, at: 0)
        switch dataType {
        case .q8_0:
            for index in 0..<32 { output[index] = Float(Int8(bitPattern: block[2 + index])) * scale }
        case .q4_0:
            // Low nibbles hold elements 0–15, high nibbles 16–31, offset by 8.
            for index in 0..<16 {
                let byte = block[2 + index]
                output[index] = Float(Int(byte & 0xF) - 8) * scale
                output[index + 16] = Float(Int(byte >> 4) - 8) * scale
            }
        case .q4_1:
            let minimum = half(block, at: 2)
            for index in 0..<16 {
                let byte = block[4 + index]
                output[index] = Float(byte & 0xF) * scale + minimum
                output[index + 16] = Float(byte >> 4) * scale + minimum
            }
        case .q5_0, .q5_1:
            // The fifth bit of element i is bit i of the 32-bit `qh` word.
            let hasMinimum = dataType == .q5_1
            let minimum = hasMinimum ? half(block, at: 2) : 0
            let highBitsOffset = hasMinimum ? 4 : 2
            let high = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: highBitsOffset, as: UInt32.self))
            for index in 0..<16 {
                let byte = block[highBitsOffset + 4 + index]
                let low = Int(byte & 0xF) | Int((high >> UInt32(index)) & 1) << 4
                let upper = Int(byte >> 4) | Int((high >> UInt32(index + 16)) & 1) << 4
                if hasMinimum {
                    output[index] = Float(low) * scale + minimum
                    output[index + 16] = Float(upper) * scale + minimum
                } else {
                    output[index] = Float(low - 16) * scale
                    output[index + 16] = Float(upper - 16) * scale
                }
            }
        default:
            preconditionFailure("\(dataType.name) is not a block type")
        }
    }
}
