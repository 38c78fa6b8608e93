#version 450
// Rotary position embedding on interleaved pairs (Flux): for pair j of token l,
// (x₀, x₁) → (cos·x₀ − sin·x₁, sin·x₀ + cos·x₁) with (cos, sin) = table[l, j]. x is a
// [B, H, L, D] view; out is contiguous. One invocation per pair.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;

layout(binding = 0) readonly buffer In { float x[]; };
layout(binding = 1) readonly buffer Table { vec2 table[]; };  // [L, D/2] of (cos, sin)
layout(binding = 2) writeonly buffer Out { float o[]; };
layout(push_constant) uniform Params {
    uvec4 shape;  // B, H, L, D
    ivec4 strides;
    int offsetIn;
    uint offsetTable;  // in pairs
    uint offsetOut;
    uint pairs;
} p;

void main() {
    uint i = linearInvocation(64);
    if (i >= p.pairs) return;
    uint half_ = p.shape.w / 2;
    uint j = i % half_, rest = i / half_;
    uint token = rest % p.shape.z;
    rest /= p.shape.z;
    int base = p.offsetIn + int(rest / p.shape.y) * p.strides.x + int(rest % p.shape.y) * p.strides.y
        + int(token) * p.strides.z + int(2 * j) * p.strides.w;
    float x0 = x[base], x1 = x[base + p.strides.w];
    vec2 cs = table[p.offsetTable + token * half_ + j];
    o[p.offsetOut + 2 * i] = cs.x * x0 - cs.y * x1;
    o[p.offsetOut + 2 * i + 1] = cs.y * x0 + cs.x * x1;
}
