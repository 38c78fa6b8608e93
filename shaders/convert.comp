#version 450
// Dtype conversion between f32 and the 16-bit floats, rounding to nearest even.
// TO_F32: a contiguous f16/bf16 range to contiguous f32, one element per invocation.
// Otherwise: an f32 view to contiguous f16/bf16, two elements (one 32-bit word) per invocation;
// an odd count leaves zero in the last word's upper half.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const bool BF16 = false;
layout(constant_id = 1) const uint RANK = 4;
#include "strided.glsl"

#if defined(TO_F32)
layout(binding = 0) readonly buffer In { uint x[]; };
layout(binding = 1) writeonly buffer Out { float o[]; };
#else
layout(binding = 0) readonly buffer In { float x[]; };
layout(binding = 1) writeonly buffer Out { uint o[]; };
#endif
layout(push_constant) uniform Params {
    uvec4 shape;
    ivec4 strides;
    int offsetIn;
    uint offsetOut;  // elements of the output dtype; even for 16-bit outputs
    uint count;
} p;

uint bf16Bits(float v) {
    uint bits = floatBitsToUint(v);
    if (isnan(v)) return (bits >> 16) | 0x40u;
    return (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;
}

void main() {
    uint i = linearInvocation(64);
#if defined(TO_F32)
    if (i >= p.count) return;
    uint element = uint(p.offsetIn) + i;
    uint half16 = (x[element >> 1] >> ((element & 1u) * 16u)) & 0xFFFFu;
    o[p.offsetOut + i] = BF16 ? uintBitsToFloat(half16 << 16) : unpackHalf2x16(half16).x;
#else
    uint first = 2 * i;
    if (first >= p.count) return;
    float low = x[p.offsetIn + stridedOffset(first, p.shape, p.strides)];
    float high = first + 1 < p.count ? x[p.offsetIn + stridedOffset(first + 1, p.shape, p.strides)] : 0.0;
    o[(p.offsetOut >> 1) + i] = BF16 ? bf16Bits(low) | (bf16Bits(high) << 16) : packHalf2x16(vec2(low, high));
#endif
}
