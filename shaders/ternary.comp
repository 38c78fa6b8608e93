#version 450
// Three-operand element-wise ops with broadcasting through zero strides; out is contiguous.
// OP 0, adaLN modulation: a·(1 + b) + c (x, scale, shift). OP 1, gated residual: a + b·c
// (x, gate, y).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint OP = 0;
layout(constant_id = 1) const uint RANK = 4;
#include "strided.glsl"

layout(binding = 0) readonly buffer A { float a[]; };
layout(binding = 1) readonly buffer B { float b[]; };
layout(binding = 2) readonly buffer C { float c[]; };
layout(binding = 3) writeonly buffer Out { float o[]; };
layout(push_constant) uniform Params {
    uvec4 shape;
    ivec4 stridesA;
    ivec4 stridesB;
    ivec4 stridesC;
    int offsetA;
    int offsetB;
    int offsetC;
    uint offsetOut;
    uint count;
} p;

void main() {
    uint i = linearInvocation(64);
    if (i >= p.count) return;
    float x = a[p.offsetA + stridedOffset(i, p.shape, p.stridesA)];
    float y = b[p.offsetB + stridedOffset(i, p.shape, p.stridesB)];
    float z = c[p.offsetC + stridedOffset(i, p.shape, p.stridesC)];
    o[p.offsetOut + i] = OP == 0 ? x * (1.0 + y) + z : x + y * z;
}
