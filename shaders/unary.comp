#version 450
// out = f(x) for a strided input; out is contiguous. Also serves as "make contiguous" (OP 0).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
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

// erf via Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): GLSL has no erf.
float erfApprox(float v) {
    float t = 1.0 / (1.0 + 0.3275911 * abs(v));
    float y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-v * v);
    return sign(v) * y;
}

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
        r = v / (1.0 + exp(-v));
    } else if (OP == 3) {
        r = 0.5 * v * (1.0 + erfApprox(v * 0.70710678118654752));
    } else if (OP == 5) {
        r = v / (1.0 + exp(-1.702 * v));
    } else if (OP == 6) {
        r = max(v, 0.0);
    } else {
        // tanh(u) = 1 - 2/(exp(2u)+1) stays finite for large |u|, unlike sinh/cosh forms.
        float u = 0.7978845608028654 * (v + 0.044715 * v * v * v);
        r = 0.5 * v * (2.0 - 2.0 / (exp(2.0 * u) + 1.0));
    }
    o[p.offsetOut + i] = r;
}
