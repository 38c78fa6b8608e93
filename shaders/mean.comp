#version 450
// Mean over the last dimension, one invocation per row; output is contiguous [..., 1].
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
    int base = p.offsetIn + rowOffset(r, p.shape, p.strides);
    float sum = 0.0;
    for (uint j = 0; j < p.shape.w; j++) sum += x[base + int(j) * p.strides.w];
    o[p.offsetOut + r] = sum / float(p.shape.w);
}
