#version 450
// The second half of a channels-last group norm on CPU devices: given each group's (mean, 1/σ)
// (groupnorm.comp with STATISTICS), normalises a contiguous [N, C, S] input, applies the optional
// affine and SiLU, and stores [N, S, C]. One invocation takes 4 neighbouring pixels (one texel of
// each channel) through all channels, so its writes stay within a few cache lines; the same
// writes from group-by-group workgroups (groupnorm.comp's CHANNELS_LAST) land a cache line apart
// each and ran several times slower on llvmpipe.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const bool AFFINE = false;
layout(constant_id = 1) const bool SILU = false;
// Channels and the output's offset are multiples of 4: each store writes one pixel's 4 channels.
// llvmpipe stores to a storage buffer lane by lane, so a quarter as many stores ran about twice
// as fast on the VAE's 32-channel layers.
layout(constant_id = 2) const bool QUADS = false;

layout(binding = 0) readonly buffer Statistics { vec2 statistics[]; };  // (mean, 1/σ) per (n, group)
layout(binding = 1) readonly buffer Weight { float weight[]; };
layout(binding = 2) readonly buffer Bias { float bias[]; };
layout(binding = 3) writeonly buffer Out { float o[]; };
layout(binding = 3) writeonly buffer Out4 { vec4 o4[]; };
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
    if (QUADS) {
        // The group of channel c is floor((c + ½) / perGroup), exact in f32 for any channel count
        // a model has, without an integer division per lane.
        float groupsPerChannel = 1.0 / float(perGroup);
        for (uint c = 0; c < p.channels; c += 4) {
            vec4 y[4];
            [[unroll]] for (uint j = 0; j < 4; j++) {
                uint g = uint((float(c + j) + 0.5) * groupsPerChannel);
                vec2 group = statistics[p.offsetStatistics + n * p.groups + g];
                float scale = group.y * (AFFINE ? weight[p.offsetWeight + c + j] : 1.0);
                float shift = (AFFINE ? bias[p.offsetBias + c + j] : 0.0) - group.x * scale;
                y[j] = texelFetch(xTexels, int(in4 + (c + j) * channelTexels)) * scale + shift;
                if (SILU) y[j] /= 1.0 + exp(-y[j]);
            }
            uint at = (out0 + c) / 4, pixelQuads = p.channels / 4;
            o4[at] = vec4(y[0].x, y[1].x, y[2].x, y[3].x);
            o4[at + pixelQuads] = vec4(y[0].y, y[1].y, y[2].y, y[3].y);
            o4[at + 2 * pixelQuads] = vec4(y[0].z, y[1].z, y[2].z, y[3].z);
            o4[at + 3 * pixelQuads] = vec4(y[0].w, y[1].w, y[2].w, y[3].w);
        }
        return;
    }
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
