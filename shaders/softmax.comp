#version 450
// Softmax over the last dimension; one invocation per row (rows are independent, and on CPU
// devices cross-invocation reductions cost more than they save). Output is contiguous.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;

layout(binding = 0) readonly buffer In { float x[]; };
layout(binding = 1) writeonly buffer Out { float o[]; };
layout(push_constant) uniform Params {
    uvec4 shape;
    ivec4 strides;
    int offsetIn;
    uint offsetOut;
    uint rows;
} p;

void main() {
    uint r = linearInvocation(64);
    if (r >= p.rows) return;
    uint n = p.shape.w;
    int base = p.offsetIn + rowOffset(r, p.shape, p.strides);
    int step = p.strides.w;
    float m = -1.0 / 0.0;
    for (uint j = 0; j < n; j++) m = max(m, x[base + int(j) * step]);
    float sum = 0.0;
    for (uint j = 0; j < n; j++) sum += exp(x[base + int(j) * step] - m);
    float inv = 1.0 / sum;
    uint out0 = p.offsetOut + r * n;
    for (uint j = 0; j < n; j++) o[out0 + j] = exp(x[base + int(j) * step] - m) * inv;
}
