#version 450
// Generic strided copy of up to 6 dimensions: element i (row-major over `shape`) moves from the
// source view to the destination view. Permutes, slices, concatenation, pixel (un)shuffle and
// Flux's 2×2 latent packing are all this copy between suitable views. STORAGE16: either side may
// be stored f16 or bf16 (storage16.glsl), converting on the way.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
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

#ifdef TRANSPOSE
// A copy into a contiguous [B, A, C] from a source whose A runs with stride 1 (shape[3..5] and
// stridesIn[3..5]; A, C, the source's B and C strides and both offsets multiples of 4): the
// channels-last transposes before and after CPU convolutions. Each invocation moves a 4 × 4
// block with four texel fetches and four 16-byte stores; the general copy's per-element index
// arithmetic and lane-by-lane loads and stores made these transposes the slowest copies.
layout(binding = 1) writeonly buffer Out4 { vec4 o4[]; };
layout(binding = 2) uniform samplerBuffer source;

void main() {
    uint i = linearInvocation(64);
    uint aBlocks = p.shape[4] / 4, cBlocks = p.shape[5] / 4;
    if (i >= p.shape[3] * aBlocks * cBlocks) return;
    uint a = (i % aBlocks) * 4;
    i /= aBlocks;
    uint c = (i % cBlocks) * 4, b = i / cBlocks;
    int from = (p.offsetIn + int(b) * p.stridesIn[3] + int(a) + int(c) * p.stridesIn[5]) / 4;
    vec4 column[4];
    [[unroll]] for (uint k = 0; k < 4; k++) column[k] = texelFetch(source, from + int(k) * p.stridesIn[5] / 4);
    uint to = (uint(p.offsetOut) + (b * p.shape[4] + a) * p.shape[5] + c) / 4, rowQuads = p.shape[5] / 4;
    o4[to] = vec4(column[0].x, column[1].x, column[2].x, column[3].x);
    o4[to + rowQuads] = vec4(column[0].y, column[1].y, column[2].y, column[3].y);
    o4[to + 2 * rowQuads] = vec4(column[0].z, column[1].z, column[2].z, column[3].z);
    o4[to + 3 * rowQuads] = vec4(column[0].w, column[1].w, column[2].w, column[3].w);
}
#elif defined(QUADS)
// f32 views whose last dimension is contiguous on both sides, with that dimension's size, every other stride and
// both offsets multiples of 4 (CPU devices): each invocation moves 4 neighbouring values with one texel fetch and one
// 16-byte store, where the general copy loads and stores each value lane by lane.
layout(binding = 1) writeonly buffer Out4 { vec4 o4[]; };
layout(binding = 2) uniform samplerBuffer source;

void main() {
    uint i = linearInvocation(64);
    if (i >= p.count / 4) return;
    i *= 4;
    int from = p.offsetIn, to = p.offsetOut;
    for (uint axis = 5; axis >= 6 - RANK && axis < 6; axis--) {
        uint index = i % p.shape[axis];
        i /= p.shape[axis];
        from += int(index) * p.stridesIn[axis];
        to += int(index) * p.stridesOut[axis];
    }
    o4[to / 4] = texelFetch(source, from / 4);
}
#else
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
#endif
