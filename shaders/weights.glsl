// Weight loaders for every DType: loadW1(i) and loadW4(i) decode weight element i (i counting
// elements of the whole buffer) from `w[]` (f32 for B_F32, else packed 32-bit words). The
// including shader declares `w` and the W_EVEN specialization constant.
#if defined(B_F32)
float loadW1(uint i) { return w[i]; }
vec4 loadW4(uint i) { return vec4(w[i], w[i + 1], w[i + 2], w[i + 3]); }
#elif defined(B_F8_E4M3)
// float8 e4m3fn: exponent bias 7, no infinities, 0x7F is NaN. Subnormals are decoded apart
// because the device may flush f32 denormals.
float decodeE4M3(uint bits) {
    uint magnitude = bits & 0x7Fu;
    float value = magnitude < 8u ? float(magnitude) * (1.0 / 512.0) : uintBitsToFloat((magnitude << 20) + (120u << 23));
    value = (bits & 0x80u) != 0u ? -value : value;
    return magnitude == 0x7Fu ? uintBitsToFloat(0x7fc00000u) : value;
}
vec4 unpack4(uint word) {
    return vec4(decodeE4M3(word & 0xFFu), decodeE4M3((word >> 8) & 0xFFu), decodeE4M3((word >> 16) & 0xFFu), decodeE4M3(word >> 24));
}
float loadW1(uint i) { return decodeE4M3((w[i >> 2] >> ((i & 3u) * 8u)) & 0xFFu); }
vec4 loadW4(uint i) {
    if (W_EVEN) return unpack4(w[i >> 2]);
    return vec4(loadW1(i), loadW1(i + 1), loadW1(i + 2), loadW1(i + 3));
}
#elif defined(B_Q8_0) || defined(B_Q4_0)
// GGUF blocks of 32: an f16 scale, then 32 int8 (Q8_0) or 16 bytes of 4-bit values, elements
// 0-15 in the low nibbles and 16-31 in the high ones, offset by 8 (Q4_0). Blocks are only 2-byte
// aligned, so the storage-buffer path reads bytes.
#if defined(B_Q8_0)
const uint BLOCK_BYTES = 34u;
#else
const uint BLOCK_BYTES = 18u;
#endif
uint readByte(uint address) { return (w[address >> 2] >> ((address & 3u) * 8u)) & 0xFFu; }
float loadW1(uint i) {
    uint block = (i >> 5) * BLOCK_BYTES, j = i & 31u;
    float scale = unpackHalf2x16(readByte(block) | (readByte(block + 1u) << 8)).x;
#if defined(B_Q8_0)
    return scale * float(int(readByte(block + 2u + j) << 24) >> 24);
#else
    uint packed = readByte(block + 2u + (j & 15u));
    return scale * float(int(j < 16u ? packed & 15u : packed >> 4) - 8);
#endif
}
// Four bytes from a 2-byte-aligned address.
uint read4(uint address) {
    uint low = w[address >> 2];
    return (address & 2u) == 0u ? low : (low >> 16) | (w[(address >> 2) + 1u] << 16);
}
// i % 4 == 0 (rows are whole blocks): the 4 values share a scale and 4 consecutive bytes.
vec4 loadW4(uint i) {
    uint block = (i >> 5) * BLOCK_BYTES, j = i & 31u;
    float scale = unpackHalf2x16((w[block >> 2] >> ((block & 2u) * 8u)) & 0xFFFFu).x;
#if defined(B_Q8_0)
    uint bytes = read4(block + 2u + j);
    return scale * vec4(int(bytes << 24) >> 24, int(bytes << 16) >> 24, int(bytes << 8) >> 24, int(bytes) >> 24);
#else
    uint bytes = read4(block + 2u + (j & 15u)) >> ((j & 16u) >> 2);
    return scale * (vec4(bytes & 15u, (bytes >> 8) & 15u, (bytes >> 16) & 15u, (bytes >> 24) & 15u) - 8.0);
#endif
}
#else
vec2 unpack2(uint word) {
#if defined(B_F16)
    return unpackHalf2x16(word);
#else
    return vec2(uintBitsToFloat(word << 16), uintBitsToFloat(word & 0xffff0000u));
#endif
}
float loadW1(uint i) {
    vec2 v = unpack2(w[i >> 1]);
    return (i & 1u) == 0u ? v.x : v.y;
}
vec4 loadW4(uint i) {
    if (W_EVEN) return vec4(unpack2(w[i >> 1]), unpack2(w[(i >> 1) + 1]));
    return vec4(loadW1(i), loadW1(i + 1), loadW1(i + 2), loadW1(i + 3));
}
#endif
