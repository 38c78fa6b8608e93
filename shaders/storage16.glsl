// 16-bit activation storage. A tensor that may hold f16 or bf16 activations is declared twice at
// one binding, as `float x[]` and as `uint16_t x16[]`, and a specialization constant holds its
// storage code (0 f32, 1 f16, 2 bf16); the host sets it from the tensor's dtype, so the unused
// path is compiled out. Needs the device's storageBuffer16BitAccess (VK_KHR_16bit_storage), which
// allows 16-bit loads and stores and conversions to and from 32 bits, no 16-bit arithmetic. The
// including shader enables the extension before it declares its 16-bit buffers.
#extension GL_EXT_shader_16bit_storage : require

// Values pass as uint: 16-bit types may only appear in buffers and conversions.
float decode16(uint bits, uint code) {
    return code == 2u ? uintBitsToFloat(bits << 16) : unpackHalf2x16(bits).x;
}

// Nearest value, ties to even, done in integer arithmetic because some drivers' f32 → f16
// conversions truncate (lavapipe). f16 saturates at ±65504, as ComfyUI's f16 paths clamp, rather
// than turning a large activation into inf; bf16 has f32's range.
uint encode16(float v, uint code) {
    uint bits = floatBitsToUint(v);
    if (code == 2u) return isnan(v) ? (bits >> 16) | 0x40u : (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;
    float rounded = isnan(v) ? v : clamp(uintBitsToFloat((bits + 0xFFFu + ((bits >> 13) & 1u)) & 0xFFFFE000u), -65504.0, 65504.0);
    return packHalf2x16(vec2(rounded, 0.0)) & 0xFFFFu;
}

// Element i of tensor `x`, declared as x[] and x16[] at one binding, whose storage code is `code`.
#define load16(x, code, i) ((code) == 0u ? x[i] : decode16(uint(x##16[i]), code))
// Stores `v` (an f32 variable) into element i of such a tensor.
#define store16(x, code, i, v) if ((code) == 0u) x[i] = v; else x##16[i] = uint16_t(encode16(v, code))
