#version 450
// Resizing of an NCHW view to [N, C, outHeight, outWidth] (stored as outStrides give: contiguous or
// channels-last), as PyTorch's interpolate:
// MODE 0 nearest (source = floor(destination · in / out)), MODE 1 bilinear with
// align_corners=False (source = (destination + ½) · in / out − ½, clamped at 0).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint MODE = 0;
// Output channels innermost in memory: invocations run in that order, so each writes next to its
// neighbours.
layout(constant_id = 1) const bool CHANNELS_LAST = false;

layout(binding = 0) readonly buffer In { float x[]; };
layout(binding = 1) writeonly buffer Out { float o[]; };
#if defined(TEXELS)
// The input again, read by gathers (CPU devices, where storage-buffer loads are per-lane loops).
layout(binding = 2) uniform samplerBuffer xTexels;
#endif
layout(push_constant) uniform Params {
    uvec4 shape;  // N, C, H, W of the input
    ivec4 strides;
    uvec4 outStrides;  // N, C, H, W of the output
    uint outHeight;
    uint outWidth;
    int offsetIn;
    uint offsetOut;
    uint count;
} p;

float at(int plane, uint y, uint xx) {
    int index = plane + int(y) * p.strides.z + int(xx) * p.strides.w;
#if defined(TEXELS)
    return texelFetch(xTexels, index).x;
#else
    return x[index];
#endif
}

void main() {
    uint i = linearInvocation(64);
    if (i >= p.count) return;
    uint n, c, oy, ox;
    if (CHANNELS_LAST) {
        c = i % p.shape.y;
        uint pixel = i / p.shape.y;
        ox = pixel % p.outWidth; oy = (pixel / p.outWidth) % p.outHeight; n = pixel / (p.outWidth * p.outHeight);
    } else {
        ox = i % p.outWidth; oy = (i / p.outWidth) % p.outHeight;
        uint nc = i / (p.outWidth * p.outHeight);
        n = nc / p.shape.y; c = nc % p.shape.y;
    }
    int plane = p.offsetIn + int(n) * p.strides.x + int(c) * p.strides.y;
    float r;
    if (MODE == 0) {
        r = at(plane, min(oy * p.shape.z / p.outHeight, p.shape.z - 1), min(ox * p.shape.w / p.outWidth, p.shape.w - 1));
    } else {
        float sy = max((float(oy) + 0.5) * float(p.shape.z) / float(p.outHeight) - 0.5, 0.0);
        float sx = max((float(ox) + 0.5) * float(p.shape.w) / float(p.outWidth) - 0.5, 0.0);
        uint y0 = min(uint(sy), p.shape.z - 1), x0 = min(uint(sx), p.shape.w - 1);
        uint y1 = min(y0 + 1, p.shape.z - 1), x1 = min(x0 + 1, p.shape.w - 1);
        float fy = sy - float(y0), fx = sx - float(x0);
        float top = mix(at(plane, y0, x0), at(plane, y0, x1), fx);
        float bottom = mix(at(plane, y1, x0), at(plane, y1, x1), fx);
        r = mix(top, bottom, fy);
    }
    o[p.offsetOut + n * p.outStrides.x + c * p.outStrides.y + oy * p.outStrides.z + ox * p.outStrides.w] = r;
}
