#version 450
// Generic strided copy of up to 6 dimensions: element i (row-major over `shape`) moves from the
// source view to the destination view. Permutes, slices, concatenation, pixel (un)shuffle and
// Flux's 2×2 latent packing are all this copy between suitable views. STORAGE16: either side may
// be stored f16 or bf16 (storage16.glsl), converting on the way.
#extension GL_GOOGLE_include_directive : require
#ifdef STORAGE16
#extension GL_EXT_shader_16bit_storage : require
#endif
#include "common.glsl"
layout(local_size_x = 64) in;
// Real trailing dimensions after the host merged contiguous ones; fewer means fewer divisions.
layout(constant_id = 0) const uint RANK = 6;

layout(binding = 0) readonly buffer In { float x[]; };
layout(binding = 1) writeonly buffer Out { float o[]; };
#ifdef STORAGE16
layout(binding = 0) readonly buffer In16 { uint16_t x16[]; };
layout(binding = 1) writeonly buffer Out16 { uint16_t o16[]; };
#include "storage16.glsl"
layout(constant_id = 1) const uint IN_STORAGE = 0;  // storage16.glsl codes
layout(constant_id = 2) const uint OUT_STORAGE = 0;
#endif
layout(push_constant) uniform Params {
    uint shape[6];
    int stridesIn[6];
    int stridesOut[6];
    int offsetIn;
    int offsetOut;
    uint count;
} p;

void main() {
    uint i = linearInvocation(64);
    if (i >= p.count) return;
    int from = p.offsetIn, to = p.offsetOut;
    for (uint axis = 5; axis >= 6 - RANK && axis < 6; axis--) {
        uint index = i % p.shape[axis];
        i /= p.shape[axis];
        from += int(index) * p.stridesIn[axis];
        to += int(index) * p.stridesOut[axis];
    }
#ifdef STORAGE16
    if (IN_STORAGE != 0u && IN_STORAGE == OUT_STORAGE) {
        o16[to] = x16[from];  // the same 16-bit dtype: the bits as they are, infinities included
    } else {
        float v = load16(x, IN_STORAGE, from);
        store16(o, OUT_STORAGE, to, v);
    }
#else
    o[to] = x[from];
#endif
}
