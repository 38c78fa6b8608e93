#version 450
// Embedding lookup: out[t, d] = weight[ids[t], d] for weights [vocabulary, D] in any DType
// (B_* define, decoded by weights.glsl). ids are 32-bit unsigned; out is contiguous f32.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const bool W_EVEN = true;

layout(binding = 0) readonly buffer Ids { uint ids[]; };
#if defined(B_F32)
layout(binding = 1) readonly buffer W { float w[]; };
#else
layout(binding = 1) readonly buffer W { uint w[]; };
#endif
layout(binding = 2) writeonly buffer Out { float o[]; };
layout(push_constant) uniform Params {
    uint width;
    uint offsetIds;
    uint offsetW;
    uint offsetOut;
    uint count;
} p;

#include "weights.glsl"

void main() {
    uint i = linearInvocation(64);
    if (i >= p.count) return;
    uint token = ids[p.offsetIds + i / p.width];
    o[p.offsetOut + i] = loadW1(p.offsetW + token * p.width + i % p.width);
}
