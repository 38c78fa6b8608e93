#version 450
// Resizing of an NCHW view to [N, C, outHeight, outWidth] (stored as outStrides give: contiguous or
// channels-last), as PyTorch's interpolate:
// MODE 0 nearest (source = floor(destination · in / out)), MODE 1 bilinear with
// align_corners=False (source = (destination + ½) · in / out − ½, clamped at 0).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint MODE = 0;

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
    uint count;  // output pixels, N · outHeight · outWidth
} p;

float at(int plane, uint y, uint xx) {
    int index = plane + int(y) * p.strides.z + int(xx) * p.strides.w;
#if defined(TEXELS)
    return texelFetch(xTexels, index).x;
#else
    return x[index];
#endif
}

// One invocation per output pixel, through all channels: the source position and weights are
// found once, and the integer divisions (a scalar loop on llvmpipe) are per pixel, not per value.
void main() {
    uint i = linearInvocation(64);
    if (i >= p.count) return;
    uint ox = i % p.outWidth, oy = (i / p.outWidth) % p.outHeight, n = i / (p.outWidth * p.outHeight);
    int image = p.offsetIn + int(n) * p.strides.x;
    uint out0 = p.offsetOut + n * p.outStrides.x + oy * p.outStrides.z + ox * p.outStrides.w;
    if (MODE == 0) {
        uint sy = min(oy * p.shape.z / p.outHeight, p.shape.z - 1), sx = min(ox * p.shape.w / p.outWidth, p.shape.w - 1);
        for (uint c = 0; c < p.shape.y; c++) o[out0 + c * p.outStrides.y] = at(image + int(c) * p.strides.y, sy, sx);
    } else {
        float sy = max((float(oy) + 0.5) * float(p.shape.z) / float(p.outHeight) - 0.5, 0.0);
        float sx = max((float(ox) + 0.5) * float(p.shape.w) / float(p.outWidth) - 0.5, 0.0);
        uint y0 = min(uint(sy), p.shape.z - 1), x0 = min(uint(sx), p.shape.w - 1);
        uint y1 = min(y0 + 1, p.shape.z - 1), x1 = min(x0 + 1, p.shape.w - 1);
        float fy = sy - float(y0), fx = sx - float(x0);
        for (uint c = 0; c < p.shape.y; c++) {
            int plane = image + int(c) * p.strides.y;
            float top = mix(at(plane, y0, x0), at(plane, y0, x1), fx);
            float bottom = mix(at(plane, y1, x0), at(plane, y1, x1), fx);
            o[out0 + c * p.outStrides.y] = mix(top, bottom, fy);
        }
    }
}
