#version 450
// out = a (op) b with broadcasting through zero strides; out is contiguous.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint OP = 0;  // 0 add, 1 multiply
layout(constant_id = 1) const uint RANK = 4;
#include "strided.glsl"

layout(binding = 0) readonly buffer A { float a[]; };
layout(binding = 1) readonly buffer B { float b[]; };
layout(binding = 2) writeonly buffer Out { float o[]; };
layout(push_constant) uniform Params {
    uvec4 shape;
    ivec4 stridesA;
    ivec4 stridesB;
    int offsetA;
    int offsetB;
    uint offsetOut;
    uint count;
} p;

void main() {
    uint i = linearInvocation(64);
    if (i >= p.count) return;
    float x = a[p.offsetA + stridedOffset(i, p.shape, p.stridesA)];
    float y = b[p.offsetB + stridedOffset(i, p.shape, p.stridesB)];
    o[p.offsetOut + i] = OP == 0 ? x + y : x * y;
}
