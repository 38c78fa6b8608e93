#version 450
// 2-D convolution of an NCHW input as an implicit GEMM: every output value is a dot product over
// (input channel of its group, ky, kx), with input pixels gathered on the fly, so no im2col buffer
// exists. Weights [Cout, Cin/groups, KH, KW] are read in their stored dtype (W_F32, W_F16 or
// W_BF16) and accumulated in f32. The input and the output are views given by NCHW strides (the
// output a strided one where a nearest-upsampled convolution runs as four, one per output phase).
// One invocation computes OCT output channels × PXT neighbouring pixels of one output row: each
// weight fetched serves PXT pixels, each input value OCT channels. Input and weights are read
// through texel buffers (a plain gather on llvmpipe, where storage buffer loads are per-lane
// loops); padding reads are clamped to a valid texel and zeroed.
//
// With TEXELS (CPU devices such as llvmpipe, groups of 1): the same product laid out as the texel
// matmul in matmul.comp lays out its own. The input is read channels-last (channel stride 1) and
// the weights as f32 [Cout, KH, KW, Cin], 4 channels per texel fetch. Runs of CL lanes take
// neighbouring output channels and the 64 / CL runs of a workgroup neighbouring pixel tiles; each
// invocation accumulates TM output pixels × TN channels (channel t is lane + CL·t), so each
// fetched input texel feeds TN channels and each weight texel TM pixels.
//
// With COOPMAT (devices with VK_KHR_cooperative_matrix, groups of 1): the GEMM of M = output
// pixels of the batch, N = output channels, K = Cin·KH·KW on CM×CM×CM f16 × f16 → f32
// cooperative matrices (CM as the device reports: 16 on NVIDIA, 8 on lavapipe). A workgroup of
// WM × WN subgroups computes a BM × BN tile, each subgroup RM × RN accumulators. Every K step
// stages the gathered input columns (zeros for padding and past the edges) and the weight rows
// as f16 in shared memory; the accumulators go through shared memory so that the NCHW stores of
// neighbouring invocations are neighbouring pixels and edge tiles write only in-range values.
#extension GL_EXT_control_flow_attributes : enable
#if defined(SHARED_WEIGHTS)
#extension GL_KHR_shader_subgroup_shuffle : require
#extension GL_KHR_shader_subgroup_vote : require
#endif
#if defined(COOPMAT)
#extension GL_KHR_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
layout(local_size_x_id = 5) in;  // WM · WN subgroups
#else
layout(local_size_x = 64) in;
#endif
layout(constant_id = 0) const uint OCT = 8;
layout(constant_id = 1) const uint PXT = 4;
layout(constant_id = 2) const bool HAS_BIAS = false;
// 1×1 kernel, stride 1, no padding or dilation: no window arithmetic and no bounds checks.
layout(constant_id = 3) const bool POINTWISE = false;

layout(binding = 0) readonly buffer Bias { float bias[]; };
layout(binding = 1) writeonly buffer Out { float result[]; };
layout(binding = 2) uniform samplerBuffer source;
#if defined(W_F32) || defined(TEXELS)
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
    ivec4 outStrides;  // N, C, H, W
} p;

#if defined(TEXELS)
// OCT is the pixels per invocation (TM) and PXT the channels per lane (TN) here.
layout(constant_id = 4) const uint CL = 64;
// With SHARED_WEIGHTS: the subgroup's size. Its lanes take the same channels (CL is 1) and share their weight fetches.
layout(constant_id = 11) const uint SG = 8;

// Private to each invocation; global so that the helpers below share them (functions cannot take arrays sized by
// specialization constants).
uint weightRow[PXT];  // the texel where each of the lane's output channels' weights start
vec4 wv[2 * PXT];     // two texels of weights for each of those channels
float acc[OCT * PXT];

// The weight texels at `at` and `at + 1` past each of the lane's output channels' rows.
void fetchWeights(uint at) {
#if defined(SHARED_WEIGHTS)
    // Every lane needs the same texels: each fetches its share, one gather serving all lanes instead of a gather
    // each, and shuffles hand them round. 1.2 to 1.5 times faster on llvmpipe at 32 to 256 channels.
    const uint shares = (2 * PXT + SG - 1) / SG;
    vec4 fetched[shares];
    [[unroll]] for (uint k = 0; k < shares; k++) {
        uint index = min(gl_SubgroupInvocationID + k * SG, 2 * PXT - 1);
        fetched[k] = texelFetch(weights, int(weightRow[index / 2] + at + index % 2));
    }
    [[unroll]] for (uint j = 0; j < 2 * PXT; j++) wv[j] = subgroupShuffle(fetched[j / SG], j % SG);
#else
    [[unroll]] for (uint t = 0; t < PXT; t++) {
        wv[2 * t] = texelFetch(weights, int(weightRow[t] + at));
        wv[2 * t + 1] = texelFetch(weights, int(weightRow[t] + at + 1));
    }
#endif
}

// Output pixel i's 8-channel dot products with the staged weights.
void accumulate(uint i, vec4 a0, vec4 a1) {
    [[unroll]] for (uint t = 0; t < PXT; t++) {
        vec4 w0 = wv[2 * t], w1 = wv[2 * t + 1];
        float s = acc[i * PXT + t];
        s = fma(a0.x, w0.x, fma(a0.y, w0.y, fma(a0.z, w0.z, fma(a0.w, w0.w, s))));
        acc[i * PXT + t] = fma(a1.x, w1.x, fma(a1.y, w1.y, fma(a1.z, w1.z, fma(a1.w, w1.w, s))));
    }
}

void main() {
    const uint lanes = CL;
    uint lane = gl_LocalInvocationID.x % CL, run = gl_LocalInvocationID.x / CL;
    uint co0 = gl_WorkGroupID.x * lanes * PXT + lane;
    uint pixels = p.outHeight * p.outWidth;
    // (image, pixel tile) pairs are folded over Y and Z, past the device's limit on either.
    uint tiles = (pixels + OCT * (64 / CL) - 1) / (OCT * (64 / CL));
    uint item = gl_WorkGroupID.z * gl_NumWorkGroups.y + gl_WorkGroupID.y;
    if (item >= tiles * p.inShape.x) return;
    uint n = item / tiles;
    uint m0 = ((item % tiles) * (64 / CL) + run) * OCT;
    // A small image leaves whole runs past its last pixel; llvmpipe skips a vector of lanes once all have returned.
#if defined(SHARED_WEIGHTS)
    // Lanes share weight fetches, so a subgroup stays until none of its lanes has pixels; the idle ones compute
    // the first run's pixels and store nothing.
    if (subgroupAll(m0 >= pixels)) return;
    bool storing = m0 < pixels;
    if (!storing) m0 = 0;
#else
    if (m0 >= pixels) return;
    const bool storing = true;
#endif
    uint channels = p.inShape.y;
    uint rowTexels = p.kernel.x * p.kernel.y * channels / 4;
    // Pixels past the end in the last run, and channels past the end, compute on clamped indices and are not stored.
    [[unroll]] for (uint t = 0; t < PXT; t++) weightRow[t] = p.offsetW / 4 + min(co0 + t * lanes, p.outChannels - 1) * rowTexels;
    int oy[OCT], ox[OCT];
    [[unroll]] for (uint i = 0; i < OCT; i++) {
        uint m = min(m0 + i, pixels - 1);
        oy[i] = int((m / p.outWidth) * p.stride.y) - p.padding.y;
        ox[i] = int((m % p.outWidth) * p.stride.x) - p.padding.x;
        [[unroll]] for (uint t = 0; t < PXT; t++) acc[i * PXT + t] = 0.0;
    }
    int image = p.offsetIn + int(n) * p.inStrides.x;
    uint tapTexels = 0;
    for (uint ky = 0; ky < p.kernel.x; ky++) {
        for (uint kx = 0; kx < p.kernel.y; kx++, tapTexels += channels / 4) {
            // Padding reads texel 0 and multiplies it by 0.
            int source0[OCT];
            float inside[OCT];
            [[unroll]] for (uint i = 0; i < OCT; i++) {
                int iy = oy[i] + int(ky * p.dilation.y), ix = ox[i] + int(kx * p.dilation.x);
                bool valid = iy >= 0 && iy < int(p.inShape.z) && ix >= 0 && ix < int(p.inShape.w);
                source0[i] = valid ? (image + iy * p.inStrides.z + ix * p.inStrides.w) / 4 : 0;
                inside[i] = valid ? 1.0 : 0.0;
            }
            for (uint c = 0; c < channels / 4; c += 2) {
                fetchWeights(tapTexels + c);
                [[unroll]] for (uint i = 0; i < OCT; i++) {
                    vec4 a0 = texelFetch(source, source0[i] + int(c)) * inside[i];
                    vec4 a1 = texelFetch(source, source0[i] + int(c) + 1) * inside[i];
                    accumulate(i, a0, a1);
                }
            }
        }
    }
    if (!storing) return;
    int at[OCT];
    [[unroll]] for (uint i = 0; i < OCT; i++) {
        uint m = min(m0 + i, pixels - 1), y = m / p.outWidth;
        at[i] = int(y) * p.outStrides.z + int(m - y * p.outWidth) * p.outStrides.w;
    }
    [[unroll]] for (uint t = 0; t < PXT; t++) {
        uint co = co0 + t * lanes;
        if (co >= p.outChannels) continue;
        float shift = HAS_BIAS ? bias[p.offsetBias + co] : 0.0;
        int plane = int(p.offsetOut) + int(n) * p.outStrides.x + int(co) * p.outStrides.y;
        [[unroll]] for (uint i = 0; i < OCT; i++) {
            if (m0 + i < pixels) result[plane + at[i]] = acc[i * PXT + t] + shift;
        }
    }
}
#elif defined(COOPMAT)
layout(constant_id = 6) const uint CM = 16;
layout(constant_id = 7) const uint WM = 2;
layout(constant_id = 8) const uint WN = 2;
layout(constant_id = 9) const uint RM = 2;
layout(constant_id = 10) const uint RN = 2;
const uint BM = CM * WM * RM;
const uint BN = CM * WN * RN;
shared float16_t tileX[CM * BM];  // [k][m]: A column-major, so neighbouring invocations stage neighbouring pixels
shared float16_t tileW[BN * CM];  // [n][k]: weight rows, B column-major
shared float tileC[BN * BM];      // [n][m]
// Per pixel row of the tile: the input offset of its image and the top-left corner of its window
// (far above the image past M, so that every tap reads as padding).
shared ivec3 windows[BM];

// f16 nearest to v, ties to even: rounded to 11 significant bits first, so the conversion is exact
// on every device (lavapipe's f32 → f16 conversion truncates). Values past f16's range saturate
// rather than become infinities that would turn whole output rows into NaN.
float16_t toHalf(float v) {
    uint bits = floatBitsToUint(v);
    return float16_t(clamp(uintBitsToFloat((bits + 0xFFFu + ((bits >> 13) & 1u)) & 0xFFFFE000u), -65504.0, 65504.0));
}

void main() {
    uint id = gl_LocalInvocationID.x, size = gl_WorkGroupSize.x;
    uint pixels = p.outHeight * p.outWidth, taps = p.kernel.x * p.kernel.y;
    uint M = p.inShape.x * pixels, N = p.outChannels, K = p.inShape.y * taps;
    uint m0 = gl_WorkGroupID.x * BM, n0 = gl_WorkGroupID.y * BN;
    for (uint r = id; r < BM; r += size) {
        uint m = m0 + r, pixel = m % pixels;
        int oy = int((pixel / p.outWidth) * p.stride.y) - p.padding.y;
        int ox = int((pixel % p.outWidth) * p.stride.x) - p.padding.x;
        windows[r] = ivec3(p.offsetIn + int(m / pixels) * p.inStrides.x, m < M ? oy : -0x40000000, ox);
    }
    uint sm = gl_SubgroupID % WM, sn = gl_SubgroupID / WM;
    coopmat<float, gl_ScopeSubgroup, CM, CM, gl_MatrixUseAccumulator> acc[RM * RN];
    [[unroll]] for (uint t = 0; t < RM * RN; t++) acc[t] = coopmat<float, gl_ScopeSubgroup, CM, CM, gl_MatrixUseAccumulator>(0.0);
    barrier();
    for (uint k0 = 0; k0 < K; k0 += CM) {
        for (uint e = id; e < CM * BM; e += size) {
            uint k = k0 + e / BM, channel = k / taps, tap = k % taps;
            ivec3 window = windows[e % BM];
            int iy = window.y + int((tap / p.kernel.y) * p.dilation.y);
            int ix = window.z + int((tap % p.kernel.y) * p.dilation.x);
            bool inside = k < K && iy >= 0 && iy < int(p.inShape.z) && ix >= 0 && ix < int(p.inShape.w);
            float value = texelFetch(source, inside ? window.x + int(channel) * p.inStrides.y + iy * p.inStrides.z + ix * p.inStrides.w : 0).x;
            tileX[e] = toHalf(inside ? value : 0.0);
        }
        for (uint e = id; e < BN * CM; e += size) {
            uint n = n0 + e / CM, k = k0 + e % CM;
            tileW[e] = toHalf(n < N && k < K ? loadW(p.offsetW + n * K + k) : 0.0);
        }
        barrier();
        coopmat<float16_t, gl_ScopeSubgroup, CM, CM, gl_MatrixUseA> a[RM];
        [[unroll]] for (uint i = 0; i < RM; i++) coopMatLoad(a[i], tileX, (sm * RM + i) * CM, BM, gl_CooperativeMatrixLayoutColumnMajor);
        [[unroll]] for (uint j = 0; j < RN; j++) {
            coopmat<float16_t, gl_ScopeSubgroup, CM, CM, gl_MatrixUseB> b;
            coopMatLoad(b, tileW, (sn * RN + j) * CM * CM, CM, gl_CooperativeMatrixLayoutColumnMajor);
            [[unroll]] for (uint i = 0; i < RM; i++) acc[i * RN + j] = coopMatMulAdd(a[i], b, acc[i * RN + j]);
        }
        barrier();
    }
    [[unroll]] for (uint i = 0; i < RM; i++) {
        [[unroll]] for (uint j = 0; j < RN; j++) {
            coopMatStore(acc[i * RN + j], tileC, (sm * RM + i) * CM + (sn * RN + j) * CM * BM, BM, gl_CooperativeMatrixLayoutColumnMajor);
        }
    }
    barrier();
    for (uint e = id; e < BM * BN; e += size) {
        uint m = m0 + e % BM, n = n0 + e / BM;
        if (m < M && n < N) {
            float shift = HAS_BIAS ? bias[p.offsetBias + n] : 0.0;
            uint pixel = m % pixels, y = pixel / p.outWidth;
            result[int(p.offsetOut) + int(m / pixels) * p.outStrides.x + int(n) * p.outStrides.y + int(y) * p.outStrides.z
                   + int(pixel - y * p.outWidth) * p.outStrides.w] = tileC[e] + shift;
        }
    }
}
#else
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

    int outRow = int(p.offsetOut) + int(n) * p.outStrides.x + int(oc0) * p.outStrides.y + int(oy) * p.outStrides.z;
    for (uint o = 0; o < OCT; o++) {
        float shift = HAS_BIAS ? bias[p.offsetBias + oc0 + o] : 0.0;
        for (uint t = 0; t < PXT; t++) {
            if (ox0 + t < p.outWidth) result[outRow + int(o) * p.outStrides.y + int(ox0 + t) * p.outStrides.w] = acc[o][t] + shift;
        }
    }
}
#endif
