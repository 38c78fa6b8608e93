#version 450
// Layer norm or RMS norm over the last dimension. Output is contiguous. Statistics use two passes
// (mean, then squared deviations) to avoid cancellation.
// One invocation per row (CPU devices, where an invocation streams its row well), or with
// ROW_PER_GROUP one workgroup per row (GPUs: neighbouring invocations read neighbouring values and
// a row's sums reduce in shared memory, rather than a few thousand threads each walking a row).
// STORAGE16: the output may be stored f16 or bf16 (storage16.glsl); input and statistics stay f32.
// MODULATE: adaLN's `v · (1 + scale) + shift` follows in the same pass, with per-sample vectors
// (row r belongs to sample r / modulationRows).
#extension GL_GOOGLE_include_directive : require
#ifdef STORAGE16
#extension GL_EXT_shader_16bit_storage : require
#endif
#include "common.glsl"
layout(local_size_x_id = 5) in;  // 64; a power of two with ROW_PER_GROUP
layout(constant_id = 0) const bool RMS = false;
layout(constant_id = 1) const bool HAS_WEIGHT = false;
layout(constant_id = 2) const bool HAS_BIAS = false;
layout(constant_id = 3) const bool MODULATE = false;
layout(constant_id = 6) const bool ROW_PER_GROUP = false;

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

shared float partial[gl_WorkGroupSize.x];

// The row's total of each invocation's `v` (ROW_PER_GROUP).
float rowSum(float v) {
    uint lane = gl_LocalInvocationID.x;
    partial[lane] = v;
    barrier();
    for (uint half_ = gl_WorkGroupSize.x / 2u; half_ > 0u; half_ /= 2u) {
        if (lane < half_) partial[lane] += partial[lane + half_];
        barrier();
    }
    float total = partial[0];
    barrier();  // before the next sum overwrites it
    return total;
}

void main() {
    // Invocation `first` of a row takes its values first, first + lanes, ...
    uint r = ROW_PER_GROUP ? gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x : linearInvocation(gl_WorkGroupSize.x);
    uint first = ROW_PER_GROUP ? gl_LocalInvocationID.x : 0u, lanes = ROW_PER_GROUP ? gl_WorkGroupSize.x : 1u;
    if (r >= p.rows) return;  // the whole workgroup with ROW_PER_GROUP, so no barrier is skipped by part of it
    uint n = p.shape.w;
    int base = p.offsetIn + rowOffset(r, p.shape, p.strides);
    int step = p.strides.w;
    float mean = 0.0;
    if (!RMS) {
        for (uint j = first; j < n; j += lanes) mean += x[base + int(j) * step];
        if (ROW_PER_GROUP) mean = rowSum(mean);
        mean /= float(n);
    }
    float sq = 0.0;
    for (uint j = first; j < n; j += lanes) {
        float d = x[base + int(j) * step] - mean;
        sq += d * d;
    }
    if (ROW_PER_GROUP) sq = rowSum(sq);
    float inv = inversesqrt(sq / float(n) + p.eps);
    uint out0 = p.offsetOut + r * n;
    for (uint j = first; j < n; j += lanes) {
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
