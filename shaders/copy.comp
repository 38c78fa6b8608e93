#version 450
// Generic strided copy of up to 6 dimensions: element i (row-major over `shape`) moves from the
// source view to the destination view. Permutes, slices, concatenation, pixel (un)shuffle and
// Flux's 2×2 latent packing are all this copy between suitable views.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;
// Real trailing dimensions after the host merged contiguous ones; fewer means fewer divisions.
layout(constant_id = 0) const uint RANK = 6;

layout(binding = 0) readonly buffer In { float x[]; };
layout(binding = 1) writeonly buffer Out { float o[]; };
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
    o[to] = x[from];
}
