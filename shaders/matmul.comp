#version 450
// C[b, m, n] = sum_k A[b, m, k] * W[b, n, k] (+ bias[n]); W in PyTorch Linear layout [out, in],
// read in its stored dtype (B_F32, B_F16 or B_BF16) and accumulated in f32. C is contiguous.
//
// Shaped for CPU devices (llvmpipe vectorises invocations 8-wide): no shared memory and no
// barriers. Invocations of a workgroup take neighbouring columns n, so every A load depends only
// on the workgroup and loop counter (uniform: one scalar load), while each W element loaded per
// invocation is reused for TM rows.
#extension GL_EXT_control_flow_attributes : enable
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint TM = 8;
layout(constant_id = 2) const bool HAS_BIAS = false;
// Packed 16-bit weights: true when every weight row starts on a 32-bit word.
layout(constant_id = 3) const bool W_EVEN = true;

layout(binding = 0) readonly buffer A { float a[]; };
#if defined(B_F32)
layout(binding = 1) readonly buffer W { float w[]; };
#else
layout(binding = 1) readonly buffer W { uint w[]; };  // two 16-bit values per word, low half first
#endif
layout(binding = 2) readonly buffer Bias { float bias[]; };
layout(binding = 3) writeonly buffer C { float c[]; };
layout(push_constant) uniform Params {
    uint M;
    uint N;
    uint K;
    uint rowStrideA;
    uint batchStrideA;
    uint offsetA;
    uint batchStrideW;
    uint offsetW;
    uint offsetBias;
    uint offsetC;
} p;

#if defined(B_F32)
float loadW1(uint i) { return w[i]; }
vec4 loadW4(uint i) { return vec4(w[i], w[i + 1], w[i + 2], w[i + 3]); }
#else
vec2 unpack2(uint word) {
#if defined(B_F16)
    return unpackHalf2x16(word);
#else
    return vec2(uintBitsToFloat(word << 16), uintBitsToFloat(word & 0xffff0000u));
#endif
}
float loadW1(uint i) {
    vec2 v = unpack2(w[i >> 1]);
    return (i & 1u) == 0u ? v.x : v.y;
}
vec4 loadW4(uint i) {
    if (W_EVEN) return vec4(unpack2(w[i >> 1]), unpack2(w[(i >> 1) + 1]));
    return vec4(loadW1(i), loadW1(i + 1), loadW1(i + 2), loadW1(i + 3));
}
#endif

void main() {
    uint n = gl_WorkGroupID.x * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
    uint m0 = gl_WorkGroupID.y * TM;
    uint b = gl_WorkGroupID.z;
    // Out-of-range rows and columns compute on clamped indices and are not stored, so the loop
    // has no branches.
    uint wRow = p.offsetW + b * p.batchStrideW + min(n, p.N - 1) * p.K;
    uint aBase = p.offsetA + b * p.batchStrideA;
    uint rowA[TM];
    float acc[TM];
    [[unroll]] for (uint i = 0; i < TM; i++) {
        rowA[i] = aBase + min(m0 + i, p.M - 1) * p.rowStrideA;
        acc[i] = 0.0;
    }
    uint k = 0;
    for (; k + 4 <= p.K; k += 4) {
        vec4 wv = loadW4(wRow + k);
        [[unroll]] for (uint i = 0; i < TM; i++) {
            uint r = rowA[i] + k;
            acc[i] = fma(a[r], wv.x, fma(a[r + 1], wv.y, fma(a[r + 2], wv.z, fma(a[r + 3], wv.w, acc[i]))));
        }
    }
    for (; k < p.K; k++) {
        float wv = loadW1(wRow + k);
        [[unroll]] for (uint i = 0; i < TM; i++) acc[i] = fma(a[rowA[i] + k], wv, acc[i]);
    }
    if (n >= p.N) return;
    float bn = HAS_BIAS ? bias[p.offsetBias + n] : 0.0;
    [[unroll]] for (uint i = 0; i < TM; i++) {
        if (m0 + i < p.M) c[p.offsetC + (b * p.M + m0 + i) * p.N + n] = acc[i] + bn;
    }
}
