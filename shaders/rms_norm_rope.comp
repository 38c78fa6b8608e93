#version 450
// Flux's path for q and k in one pass: RMS norm of each head row with a learned scale (norm.comp's
// arithmetic), then the rotary embedding (rope.comp's), written through strides so a stream's
// heads land in their slice of the joint sequence. x and out are [B, H, L, D] views; one
// invocation per row. STORAGE16: x and out may be stored f16 or bf16 (storage16.glsl), each its
// own; the arithmetic stays f32.
#extension GL_GOOGLE_include_directive : require
#ifdef STORAGE16
#extension GL_EXT_shader_16bit_storage : require
#endif
#include "common.glsl"
layout(local_size_x = 64) in;

layout(binding = 0) readonly buffer In { float x[]; };
layout(binding = 1) readonly buffer Weight { float weight[]; };
layout(binding = 2) readonly buffer Table { vec2 table[]; };  // [L, D/2] of (cos, sin)
layout(binding = 3) writeonly buffer Out { float o[]; };
#ifdef STORAGE16
layout(binding = 0) readonly buffer In16 { uint16_t x16[]; };
layout(binding = 3) writeonly buffer Out16 { uint16_t o16[]; };
#endif
layout(push_constant) uniform Params {
    uvec4 shape;  // B, H, L, D
    ivec4 strides;
    ivec4 outStrides;
    int offsetIn;
    uint offsetWeight;
    uint offsetTable;  // in pairs
    uint offsetOut;
    uint rows;
    float eps;
} p;

#ifdef STORAGE16
#include "storage16.glsl"
layout(constant_id = 0) const uint IN_STORAGE = 0;  // storage16.glsl codes
layout(constant_id = 1) const uint OUT_STORAGE = 0;

float load(int i) { return load16(x, IN_STORAGE, i); }

void store(int i, float v) { store16(o, OUT_STORAGE, i, v); }
#else
#define load(i) x[i]
#define store(i, v) o[i] = v
#endif

void main() {
    uint r = linearInvocation(64);
    if (r >= p.rows) return;
    uint n = p.shape.w, token = r % p.shape.z, rest = r / p.shape.z;
    uint h = rest % p.shape.y, b = rest / p.shape.y;
    int base = p.offsetIn + int(b) * p.strides.x + int(h) * p.strides.y + int(token) * p.strides.z;
    int out0 = int(p.offsetOut) + int(b) * p.outStrides.x + int(h) * p.outStrides.y + int(token) * p.outStrides.z;
    int step = p.strides.w, outStep = p.outStrides.w;
    float sq = 0.0;
    for (uint j = 0; j < n; j++) {
        float d = load(base + int(j) * step);
        sq += d * d;
    }
    float inv = inversesqrt(sq / float(n) + p.eps);
    uint half_ = n / 2;
    for (uint j = 0; j < half_; j++) {
        float x0 = load(base + int(2 * j) * step) * inv * weight[p.offsetWeight + 2 * j];
        float x1 = load(base + int(2 * j + 1) * step) * inv * weight[p.offsetWeight + 2 * j + 1];
        vec2 cs = table[p.offsetTable + token * half_ + j];
        store(out0 + int(2 * j) * outStep, cs.x * x0 - cs.y * x1);
        store(out0 + int(2 * j + 1) * outStep, cs.y * x0 + cs.x * x1);
    }
}
