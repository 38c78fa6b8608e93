#version 450
// out = f(x) for a strided input; out is contiguous. Also serves as "make contiguous" (OP 0).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "activations.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint OP = 0;  // 0 copy, 1 scale, 2 SiLU, 3 GELU (erf), 4 GELU (tanh),
                                            // 5 quick GELU, 6 ReLU
layout(constant_id = 1) const uint RANK = 4;
#include "strided.glsl"

layout(binding = 0) readonly buffer In { float x[]; };
layout(binding = 1) writeonly buffer Out { float o[]; };
layout(push_constant) uniform Params {
    uvec4 shape;
    ivec4 strides;
    int offsetIn;
    uint offsetOut;
    uint count;
    float scale;
} p;

void main() {
    uint i = linearInvocation(64);
    if (i >= p.count) return;
    float v = x[p.offsetIn + stridedOffset(i, p.shape, p.strides)];
    float r;
    if (OP == 0) {
        r = v;
    } else if (OP == 1) {
        r = v * p.scale;
    } else if (OP == 2) {
        r = silu(v);
    } else if (OP == 3) {
        r = geluErf(v);
    } else if (OP == 5) {
        r = quickGelu(v);
    } else if (OP == 6) {
        r = max(v, 0.0);
    } else {
        r = geluTanh(v);
    }
    o[p.offsetOut + i] = r;
}
