#version 450
// out = a (op) b with broadcasting through zero strides; out is contiguous.
// TEXELS (CPU devices, contiguous a and b, counts and offsets multiples of 4): 4 values per
// invocation, read by texel gathers and written as one vec4, instead of per-lane load loops.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint OP = 0;  // 0 add, 1 multiply
layout(constant_id = 1) const uint RANK = 4;
#include "strided.glsl"

#if defined(TEXELS)
layout(binding = 0) writeonly buffer Out { vec4 o4[]; };
layout(binding = 1) uniform samplerBuffer aTexels;
layout(binding = 2) uniform samplerBuffer bTexels;
#else
layout(binding = 0) readonly buffer A { float a[]; };
layout(binding = 1) readonly buffer B { float b[]; };
layout(binding = 2) writeonly buffer Out { float o[]; };
#endif
layout(push_constant) uniform Params {
    uvec4 shape;
    ivec4 stridesA;
    ivec4 stridesB;
    int offsetA;
    int offsetB;
    uint offsetOut;
    uint count;
} p;

#if defined(TEXELS)
void main() {
    uint i = linearInvocation(64);
    if (4 * i >= p.count) return;
    vec4 x = texelFetch(aTexels, p.offsetA / 4 + int(i)), y = texelFetch(bTexels, p.offsetB / 4 + int(i));
    o4[p.offsetOut / 4 + i] = OP == 0 ? x + y : x * y;
}
#else
void main() {
    uint i = linearInvocation(64);
    if (i >= p.count) return;
    float x = a[p.offsetA + stridedOffset(i, p.shape, p.stridesA)];
    float y = b[p.offsetB + stridedOffset(i, p.shape, p.stridesB)];
    o[p.offsetOut + i] = OP == 0 ? x + y : x * y;
}
#endif
