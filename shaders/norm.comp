#version 450
// Layer norm or RMS norm over the last dimension, one invocation per row. Output is contiguous.
// Statistics use two passes (mean, then squared deviations) to avoid cancellation.
// STORAGE16: the output may be stored f16 or bf16 (storage16.glsl); input and statistics stay f32.
// MODULATE: adaLN's `v · (1 + scale) + shift` follows in the same pass, with per-sample vectors
// (row r belongs to sample r / modulationRows).
#extension GL_GOOGLE_include_directive : require
#ifdef STORAGE16
#extension GL_EXT_shader_16bit_storage : require
#endif
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const bool RMS = false;
layout(constant_id = 1) const bool HAS_WEIGHT = false;
layout(constant_id = 2) const bool HAS_BIAS = false;
layout(constant_id = 3) const bool MODULATE = false;

layout(binding = 0) readonly buffer In { float x[]; };
layout(binding = 1) readonly buffer Weight { float weight[]; };
layout(binding = 2) readonly buffer Bias { float bias[]; };
layout(binding = 3) writeonly buffer Out { float o[]; };
#ifdef STORAGE16
layout(binding = 3) writeonly buffer Out16 { uint16_t o16[]; };
#endif
layout(binding = 4) readonly buffer Shift { float shift[]; };
layout(binding = 5) readonly buffer Scale { float scale[]; };
layout(push_constant) uniform Params {
    uvec4 shape;
    ivec4 strides;
    int offsetIn;
    uint offsetWeight;
    uint offsetBias;
    uint offsetOut;
    uint rows;
    float eps;
    uint modulationRows;
    uint offsetShift;
    uint shiftStride;  // between samples
    uint offsetScale;
    uint scaleStride;
} p;

#ifdef STORAGE16
#include "storage16.glsl"
layout(constant_id = 4) const uint OUT_STORAGE = 0;  // storage16.glsl codes

void store(uint i, float v) { store16(o, OUT_STORAGE, i, v); }
#else
#define store(i, v) o[i] = v
#endif

void main() {
    uint r = linearInvocation(64);
    if (r >= p.rows) return;
    uint n = p.shape.w;
    int base = p.offsetIn + rowOffset(r, p.shape, p.strides);
    int step = p.strides.w;
    float mean = 0.0;
    if (!RMS) {
        for (uint j = 0; j < n; j++) mean += x[base + int(j) * step];
        mean /= float(n);
    }
    float sq = 0.0;
    for (uint j = 0; j < n; j++) {
        float d = x[base + int(j) * step] - mean;
        sq += d * d;
    }
    float inv = inversesqrt(sq / float(n) + p.eps);
    uint out0 = p.offsetOut + r * n;
    for (uint j = 0; j < n; j++) {
        float v = (x[base + int(j) * step] - mean) * inv;
        if (HAS_WEIGHT) v *= weight[p.offsetWeight + j];
        if (HAS_BIAS) v += bias[p.offsetBias + j];
        if (MODULATE) {
            uint sample_ = r / p.modulationRows;
            v = v * (1.0 + scale[p.offsetScale + sample_ * p.scaleStride + j]) + shift[p.offsetShift + sample_ * p.shiftStride + j];
        }
        store(out0 + j, v);
    }
}
