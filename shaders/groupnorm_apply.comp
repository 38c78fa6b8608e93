#version 450
// The second half of a channels-last group norm on CPU devices: given each group's (mean, 1/σ)
// (groupnorm.comp with STATISTICS), normalises a contiguous [N, C, S] input, applies the optional
// affine and SiLU, and stores [N, S, C]. One invocation takes 4 neighbouring pixels (one texel of
// each channel) through all channels, so its writes stay within a few cache lines; the same
// writes from group-by-group workgroups (groupnorm.comp's CHANNELS_LAST) land a cache line apart
// each and ran several times slower on llvmpipe.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const bool AFFINE = false;
layout(constant_id = 1) const bool SILU = false;

layout(binding = 0) readonly buffer Statistics { vec2 statistics[]; };  // (mean, 1/σ) per (n, group)
layout(binding = 1) readonly buffer Weight { float weight[]; };
layout(binding = 2) readonly buffer Bias { float bias[]; };
layout(binding = 3) writeonly buffer Out { float o[]; };
layout(binding = 4) uniform samplerBuffer xTexels;  // the input, S and its offset multiples of 4
layout(push_constant) uniform Params {
    uint batch;
    uint channels;
    uint spatial;
    uint groups;
    uint offsetIn;
    uint offsetWeight;
    uint offsetBias;
    uint offsetOut;
    uint offsetStatistics;  // in pairs
} p;

void main() {
    uint i = linearInvocation(64);
    uint blocks = p.spatial / 4;
    if (i >= p.batch * blocks) return;
    uint n = i / blocks, s = (i % blocks) * 4;
    uint perGroup = p.channels / p.groups;
    uint in4 = (p.offsetIn + n * p.channels * p.spatial + s) / 4, channelTexels = p.spatial / 4;
    uint out0 = p.offsetOut + (n * p.spatial + s) * p.channels;
    uint c = 0;
    for (uint g = 0; g < p.groups; g++) {
        vec2 group = statistics[p.offsetStatistics + n * p.groups + g];
        for (uint k = 0; k < perGroup; k++, c++) {
            float scale = group.y * (AFFINE ? weight[p.offsetWeight + c] : 1.0);
            float shift = (AFFINE ? bias[p.offsetBias + c] : 0.0) - group.x * scale;
            vec4 y = texelFetch(xTexels, int(in4 + c * channelTexels)) * scale + shift;
            if (SILU) y /= 1.0 + exp(-y);
            o[out0 + c] = y.x;
            o[out0 + p.channels + c] = y.y;
            o[out0 + 2 * p.channels + c] = y.z;
            o[out0 + 3 * p.channels + c] = y.w;
        }
    }
}
