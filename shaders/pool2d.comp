#version 450
// 2-D max or average pooling of an NCHW view to a contiguous [N, C, outHeight, outWidth], as
// PyTorch (floor mode): max ignores padding; average divides by the whole window, padding
// included (count_include_pad=True).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const bool AVERAGE = false;

layout(binding = 0) readonly buffer In { float x[]; };
layout(binding = 1) writeonly buffer Out { float o[]; };
layout(push_constant) uniform Params {
    uvec4 shape;  // N, C, H, W of the input
    ivec4 strides;
    uint outHeight;
    uint outWidth;
    uvec2 kernel;   // KH, KW
    uvec2 stride;   // y, x
    ivec2 padding;  // y, x
    int offsetIn;
    uint offsetOut;
    uint count;
} p;

void main() {
    uint i = linearInvocation(64);
    if (i >= p.count) return;
    uint ox = i % p.outWidth, oy = (i / p.outWidth) % p.outHeight, nc = i / (p.outWidth * p.outHeight);
    int plane = p.offsetIn + int(nc / p.shape.y) * p.strides.x + int(nc % p.shape.y) * p.strides.y;
    float r = AVERAGE ? 0.0 : -1.0 / 0.0;
    for (uint ky = 0; ky < p.kernel.x; ky++) {
        int iy = int(oy * p.stride.x + ky) - p.padding.x;
        if (iy < 0 || iy >= int(p.shape.z)) continue;
        for (uint kx = 0; kx < p.kernel.y; kx++) {
            int ix = int(ox * p.stride.y + kx) - p.padding.y;
            if (ix < 0 || ix >= int(p.shape.w)) continue;
            float v = x[plane + iy * p.strides.z + ix * p.strides.w];
            r = AVERAGE ? r + v : max(r, v);
        }
    }
    o[p.offsetOut + i] = AVERAGE ? r / float(p.kernel.x * p.kernel.y) : r;
}
