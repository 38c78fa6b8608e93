#version 450
// The second half of a channels-last group norm on CPU devices: given each channel's (scale, shift)
// (groupnorm.comp with STATISTICS: the norm and the optional affine as one multiply-add), normalises a
// contiguous [N, C, S] input, applies the optional SiLU, and stores [N, S, C]. One invocation takes 4
// neighbouring pixels (one texel of each channel) through all channels, so its writes stay within a few
// cache lines; the same writes from group-by-group workgroups (groupnorm.comp's CHANNELS_LAST) land a
// cache line apart each and ran several times slower on llvmpipe. (scale, shift) are gathered through a
// texel buffer: as storage-buffer loads of a group's statistics and the affine's weight and bias, each a
// per-lane loop on llvmpipe, they took more time than the norm.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : enable
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const bool SILU = false;
// Channels and the output's offset are multiples of 4: each store writes one pixel's 4 channels.
// llvmpipe stores to a storage buffer lane by lane, so a quarter as many stores ran about twice
// as fast on the VAE's 32-channel layers.
layout(constant_id = 1) const bool QUADS = false;

layout(binding = 0) writeonly buffer Out { float o[]; };
layout(binding = 0) writeonly buffer Out4 { vec4 o4[]; };
layout(binding = 1) uniform samplerBuffer xTexels;       // the input, S and its offset multiples of 4
layout(binding = 2) uniform samplerBuffer affineTexels;  // (scale, shift) per (n, c), one f32 per texel
layout(push_constant) uniform Params {
    uint batch;
    uint channels;
    uint spatial;
    uint offsetIn;
    uint offsetOut;
    uint offsetAffine;
} p;

// Channel c's input texel at `in4`, normalised and activated.
vec4 normalized(int in4, int affine, uint c) {
    int at = affine + int(2 * c);
    vec4 y = texelFetch(xTexels, in4) * texelFetch(affineTexels, at).x + texelFetch(affineTexels, at + 1).x;
    return SILU ? y / (1.0 + exp(-y)) : y;
}

void main() {
    uint i = linearInvocation(64);
    uint blocks = p.spatial / 4;
    if (i >= p.batch * blocks) return;
    uint n = i / blocks, s = (i % blocks) * 4;
    uint in4 = (p.offsetIn + n * p.channels * p.spatial + s) / 4, channelTexels = p.spatial / 4;
    uint out0 = p.offsetOut + (n * p.spatial + s) * p.channels;
    int affine = int(p.offsetAffine + 2 * n * p.channels);
    if (QUADS) {
        for (uint c = 0; c < p.channels; c += 4) {
            vec4 y[4];
            [[unroll]] for (uint j = 0; j < 4; j++) y[j] = normalized(int(in4 + (c + j) * channelTexels), affine, c + j);
            uint at = (out0 + c) / 4, pixelQuads = p.channels / 4;
            o4[at] = vec4(y[0].x, y[1].x, y[2].x, y[3].x);
            o4[at + pixelQuads] = vec4(y[0].y, y[1].y, y[2].y, y[3].y);
            o4[at + 2 * pixelQuads] = vec4(y[0].z, y[1].z, y[2].z, y[3].z);
            o4[at + 3 * pixelQuads] = vec4(y[0].w, y[1].w, y[2].w, y[3].w);
        }
        return;
    }
    for (uint c = 0; c < p.channels; c++) {
        vec4 y = normalized(int(in4 + c * channelTexels), affine, c);
        o[out0 + c] = y.x;
        o[out0 + p.channels + c] = y.y;
        o[out0 + 2 * p.channels + c] = y.z;
        o[out0 + 3 * p.channels + c] = y.w;
    }
}
