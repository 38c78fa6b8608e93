#version 450
// 2-D convolution of an NCHW input as an implicit GEMM: every output value is a dot product over
// (input channel of its group, ky, kx), with input pixels gathered on the fly, so no im2col buffer
// exists. Weights [Cout, Cin/groups, KH, KW] are read in their stored dtype (W_F32, W_F16 or
// W_BF16) and accumulated in f32. The input is a view given by NCHW strides; the output is
// contiguous.
// One invocation computes OCT output channels × PXT neighbouring pixels of one output row: each
// weight fetched serves PXT pixels, each input value OCT channels. Input and weights are read
// through texel buffers (a plain gather on llvmpipe, where storage buffer loads are per-lane
// loops); padding reads are clamped to a valid texel and zeroed.
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint OCT = 8;
layout(constant_id = 1) const uint PXT = 4;
layout(constant_id = 2) const bool HAS_BIAS = false;
// 1×1 kernel, stride 1, no padding or dilation: no window arithmetic and no bounds checks.
layout(constant_id = 3) const bool POINTWISE = false;

layout(binding = 0) readonly buffer Bias { float bias[]; };
layout(binding = 1) writeonly buffer Out { float result[]; };
layout(binding = 2) uniform samplerBuffer source;
#if defined(W_F32)
layout(binding = 3) uniform samplerBuffer weights;
float loadW(uint i) { return texelFetch(weights, int(i)).x; }
#elif defined(W_F16)
layout(binding = 3) uniform usamplerBuffer weights;  // R16UI
float loadW(uint i) { return unpackHalf2x16(texelFetch(weights, int(i)).x).x; }
#else
layout(binding = 3) uniform usamplerBuffer weights;  // R16UI, bfloat16 bits
float loadW(uint i) { return uintBitsToFloat(texelFetch(weights, int(i)).x << 16); }
#endif

layout(push_constant) uniform Params {
    uvec4 inShape;    // N, C, H, W
    ivec4 inStrides;  // N, C, H, W
    uint outChannels;
    uint outHeight;
    uint outWidth;
    uint groups;
    uvec2 kernel;    // KH, KW
    uvec2 stride;    // x, y
    ivec2 padding;   // x, y
    uvec2 dilation;  // x, y
    int offsetIn;
    uint offsetW;
    uint offsetBias;
    uint offsetOut;
} p;

void main() {
    uint tilesPerRow = (p.outWidth + PXT - 1) / PXT;
    uint tile = gl_GlobalInvocationID.x;
    if (tile >= tilesPerRow * p.outHeight) return;
    uint oy = tile / tilesPerRow, ox0 = (tile % tilesPerRow) * PXT;
    uint oc0 = gl_WorkGroupID.y * OCT;  // the host makes OCT divide the channels of a group
    uint n = gl_WorkGroupID.z;
    uint inPerGroup = p.inShape.y / p.groups;
    uint outPerGroup = p.outChannels / p.groups;
    uint ic0 = (oc0 / outPerGroup) * inPerGroup;
    uint taps = p.kernel.x * p.kernel.y;

    float acc[OCT][PXT];
    for (uint o = 0; o < OCT; o++) for (uint t = 0; t < PXT; t++) acc[o][t] = 0.0;
    // Pixels past the row end read a valid clamped column; they are not written.
    int columns[PXT];
    for (uint t = 0; t < PXT; t++) columns[t] = int(min(ox0 + t, p.outWidth - 1) * p.stride.x) - p.padding.x;

    for (uint c = 0; c < inPerGroup; c++) {
        int channel = p.offsetIn + int(n) * p.inStrides.x + int(ic0 + c) * p.inStrides.y;
        uint weightBase = p.offsetW + (oc0 * inPerGroup + c) * taps;
        for (uint ky = 0; ky < p.kernel.x; ky++) {
            int iy = int(oy * p.stride.y + ky * p.dilation.y) - p.padding.y;
            bool rowInside = iy >= 0 && iy < int(p.inShape.z);
            int row = channel + iy * p.inStrides.z;
            for (uint kx = 0; kx < p.kernel.y; kx++) {
                float x[PXT];
                for (uint t = 0; t < PXT; t++) {
                    int ix = columns[t] + int(kx * p.dilation.x);
                    if (POINTWISE) {
                        x[t] = texelFetch(source, row + ix * p.inStrides.w).x;
                    } else {
                        bool inside = rowInside && ix >= 0 && ix < int(p.inShape.w);
                        float value = texelFetch(source, inside ? row + ix * p.inStrides.w : 0).x;
                        x[t] = inside ? value : 0.0;
                    }
                }
                uint tap = weightBase + ky * p.kernel.y + kx;
                for (uint o = 0; o < OCT; o++) {
                    float wv = loadW(tap + o * inPerGroup * taps);
                    for (uint t = 0; t < PXT; t++) acc[o][t] += wv * x[t];
                }
            }
        }
    }

    uint outRow = p.offsetOut + ((n * p.outChannels + oc0) * p.outHeight + oy) * p.outWidth;
    for (uint o = 0; o < OCT; o++) {
        float shift = HAS_BIAS ? bias[p.offsetBias + oc0 + o] : 0.0;
        for (uint t = 0; t < PXT; t++) {
            if (ox0 + t < p.outWidth) result[outRow + o * p.outHeight * p.outWidth + ox0 + t] = acc[o][t] + shift;
        }
    }
}
