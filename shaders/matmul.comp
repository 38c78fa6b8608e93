#version 450
// C[b, m, n] = scale * sum_k A[b, m, k] * W[b, n, k] (+ bias[n]); W in PyTorch Linear layout
// [out, in] (scale: per-tensor dequantisation factor of "scaled fp8" checkpoints, else 1),
// read in its stored dtype (B_F32, B_F16, B_BF16, B_F8_E4M3, B_Q8_0 or B_Q4_0) and accumulated in
// f32, then passed through matmul_epilogue.glsl (activation, gated residual).
// C is contiguous. With STORAGE16, A and C may be stored f32, f16 or bf16 (matmul_storage.glsl);
// TEXELS reads 16-bit A only as f16, through an RGBA16F view.
//
// Three kernels (the cooperative-matrix one is matmul_coopmat.comp, with the same bindings):
//
// TILED (GPUs): a workgroup of 256 stages 64×16 tiles of A and of W in shared memory, W
// dequantised as it is staged, and each invocation accumulates a 4×4 block of C from them.
//
// Neither TILED nor TEXELS: no shared memory or barriers; each invocation computes TM rows of one
// column with plain storage-buffer loads. The fallback on CPU devices when rows are not aligned
// for TEXELS.
//
// With TEXELS (CPU devices such as llvmpipe): llvmpipe runs 8 invocations as the lanes of one
// SIMD register. A storage-buffer load there is a per-lane loop with branches (so are subgroup
// broadcasts), while a texel fetch is a straight gather. So the inner loop reads A and W through
// texel buffers, 4 f32 or 8 packed 16-bit values per fetch, and each invocation also takes TN
// columns so every fetched piece of A feeds TN accumulators. Spilled accumulators cost less than
// fetches there, hence the large TM × TN tiles the host picks. With SHARED_A (where subgroups can
// shuffle): every lane of a subgroup needs the same TM rows of A, so each fetches its share and
// shuffles hand them round; with one or two columns per lane, fetching A cost several times the arithmetic.
// With ROWS (outputs of at most a few hundred columns, where subgroups shuffle): the roles turn round. Each lane takes
// TM rows of its own and the whole workgroup the same TN neighbouring columns, so the lanes share the weights instead
// (each fetches its part of them), and a finished row leaves in TN / 4 stores of 16 bytes rather than TN
// lane-by-lane ones. The weights are f32 or f16 texels (the host's copy of other dtypes).
#extension GL_EXT_control_flow_attributes : enable
#if defined(SHARED_A)
#extension GL_KHR_shader_subgroup_shuffle : require
#extension GL_KHR_shader_subgroup_vote : require
#endif
#extension GL_GOOGLE_include_directive : require
#ifdef STORAGE16
#extension GL_EXT_shader_16bit_storage : require
#endif
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint TM = 8;
layout(constant_id = 2) const bool HAS_BIAS = false;
// Packed 16- or 8-bit weights: true when every weight row starts on a 32-bit word.
layout(constant_id = 3) const bool W_EVEN = true;
// Output columns per invocation (TEXELS only): column t of invocation x of a workgroup is
// x + t · (workgroup size).
layout(constant_id = 4) const uint TN = 1;

layout(binding = 0) readonly buffer A { float a[]; };
#ifdef STORAGE16
layout(binding = 0) readonly buffer A16 { uint16_t a16[]; };
#endif
#if defined(B_F32)
layout(binding = 1) readonly buffer W { float w[]; };
#else
layout(binding = 1) readonly buffer W { uint w[]; };  // packed values or blocks, little-endian
#endif
layout(binding = 2) readonly buffer Bias { float bias[]; };
layout(binding = 3) writeonly buffer C { float c[]; };
#ifdef STORAGE16
layout(binding = 3) writeonly buffer C16 { uint16_t c16[]; };
#endif
#if defined(TEXELS)
// The same memory as bindings 0 and 1. Rows start on a texel (the host checks alignment).
layout(binding = 6) uniform samplerBuffer aTexels;
#if defined(B_F32)
layout(binding = 7) uniform samplerBuffer wTexels;
#else
layout(binding = 7) uniform usamplerBuffer wTexels;
#endif
#endif
#include "matmul_params.glsl"
#include "matmul_storage.glsl"

#include "weights.glsl"
#include "matmul_epilogue.glsl"

#if defined(TILED)
const uint TILE = 64u;   // rows of A and of W per tile
const uint DEPTH = 16u;  // values of k per tile
shared float tileA[DEPTH][TILE];
shared float tileW[DEPTH][TILE];

void main() {
    uint id = gl_LocalInvocationID.x;  // workgroup size 256 (16 × 16)
    uint tx = id % 16u, ty = id / 16u;
    uint m0 = gl_WorkGroupID.y * TILE, n0 = gl_WorkGroupID.x * TILE, b = gl_WorkGroupID.z;
    uint aBase = p.offsetA + b * p.batchStrideA, wBase = p.offsetW + b * p.batchStrideW;
    float acc[16];
    [[unroll]] for (uint i = 0; i < 16u; i++) acc[i] = 0.0;
    for (uint k0 = 0; k0 < p.K; k0 += DEPTH) {
        // Neighbouring invocations load neighbouring k of one row: contiguous in memory.
        [[unroll]] for (uint r = 0; r < 4u; r++) {
            uint e = id + 256u * r, row = e / DEPTH, kk = e % DEPTH, k = k0 + kk;
            uint m = m0 + row, n = n0 + row;
            tileA[kk][row] = (m < p.M && k < p.K) ? loadA(aBase + m * p.rowStrideA + k) : 0.0;
            tileW[kk][row] = (n < p.N && k < p.K) ? loadW1(wBase + n * p.K + k) : 0.0;
        }
        barrier();
        [[unroll]] for (uint kk = 0; kk < DEPTH; kk++) {
            // Rows ty + 16i and columns tx + 16j: one broadcast and consecutive banks per read.
            float av[4], wv[4];
            [[unroll]] for (uint i = 0; i < 4u; i++) av[i] = tileA[kk][ty + 16u * i];
            [[unroll]] for (uint j = 0; j < 4u; j++) wv[j] = tileW[kk][tx + 16u * j];
            [[unroll]] for (uint i = 0; i < 4u; i++) {
                [[unroll]] for (uint j = 0; j < 4u; j++) acc[i * 4u + j] = fma(av[i], wv[j], acc[i * 4u + j]);
            }
        }
        barrier();
    }
    [[unroll]] for (uint j = 0; j < 4u; j++) {
        uint n = n0 + tx + 16u * j;
        if (n >= p.N) continue;
        [[unroll]] for (uint i = 0; i < 4u; i++) {
            uint m = m0 + ty + 16u * i;
            if (m < p.M) storeC(p.offsetC + (b * p.M + m) * p.N + n, finished(b, m, n, acc[i * 4u + j]));
        }
    }
}
#elif defined(TEXELS) && defined(ROWS)
#extension GL_KHR_shader_subgroup_shuffle : require
#extension GL_KHR_shader_subgroup_vote : require
layout(constant_id = 14) const uint SG = 8;
layout(binding = 3) writeonly buffer C4 { vec4 c4[]; };

// Private to each invocation; global so that the helper below shares them (functions cannot take arrays sized by
// specialization constants).
uint wRow[TN];    // the texel where each of the columns' weights start
vec4 wv[2 * TN];  // W[column t, k .. k + 7] in wv[2t], wv[2t + 1]

// Every lane needs the same texels: each fetches its share and shuffles hand them round.
void fetchWeights(uint k) {
    const uint shares = (2 * TN + SG - 1) / SG;
    vec4 fetched[shares];
    [[unroll]] for (uint s = 0; s < shares; s++) {
        uint j = min(gl_SubgroupInvocationID + s * SG, 2 * TN - 1);
        fetched[s] = texelFetch(wTexels, int(wRow[j / 2] + (k >> 2) + j % 2));
    }
    [[unroll]] for (uint j = 0; j < 2 * TN; j++) wv[j] = subgroupShuffle(fetched[j / SG], j % SG);
}

void main() {
    uint n0 = gl_WorkGroupID.x * TN;
    uint m0 = (gl_WorkGroupID.y * gl_WorkGroupSize.x + gl_LocalInvocationID.x) * TM;
    uint b = gl_WorkGroupID.z;
    // Lanes share fetches, so a subgroup stays until none of its lanes has rows; the idle ones compute the first
    // rows and store nothing. Columns past N (N is a multiple of 4) compute on clamped indices and are not stored.
    if (subgroupAll(m0 >= p.M)) return;
    bool storing = m0 < p.M;
    if (!storing) m0 = 0;
    [[unroll]] for (uint t = 0; t < TN; t++) wRow[t] = (p.offsetW + b * p.batchStrideW + min(n0 + t, p.N - 1) * p.K) >> 2;
    uint aBase = p.offsetA + b * p.batchStrideA;
    uint rowA[TM];
    float acc[TM * TN];
    [[unroll]] for (uint i = 0; i < TM; i++) {
        rowA[i] = (aBase + min(m0 + i, p.M - 1) * p.rowStrideA) >> 2;
        [[unroll]] for (uint t = 0; t < TN; t++) acc[i * TN + t] = 0.0;
    }
    // K is a multiple of 8 here.
    for (uint k = 0; k < p.K; k += 8) {
        fetchWeights(k);
        [[unroll]] for (uint i = 0; i < TM; i++) {
            vec4 a0 = texelFetch(aTexels, int(rowA[i] + (k >> 2)));
            vec4 a1 = texelFetch(aTexels, int(rowA[i] + (k >> 2) + 1));
            [[unroll]] for (uint t = 0; t < TN; t++) {
                vec4 w0 = wv[2 * t], w1 = wv[2 * t + 1];
                float s = acc[i * TN + t];
                s = fma(a0.x, w0.x, fma(a0.y, w0.y, fma(a0.z, w0.z, fma(a0.w, w0.w, s))));
                acc[i * TN + t] = fma(a1.x, w1.x, fma(a1.y, w1.y, fma(a1.z, w1.z, fma(a1.w, w1.w, s))));
            }
        }
    }
    if (!storing) return;
    [[unroll]] for (uint q = 0; q < TN / 4; q++) {
        uint n = n0 + 4 * q;
        if (n >= p.N) continue;
        vec4 shift = HAS_BIAS ? vec4(bias[p.offsetBias + n], bias[p.offsetBias + n + 1], bias[p.offsetBias + n + 2],
                                     bias[p.offsetBias + n + 3]) : vec4(0.0);
        [[unroll]] for (uint i = 0; i < TM; i++) {
            uint m = m0 + i;
            if (m < p.M) {
                vec4 sum = vec4(acc[i * TN + 4 * q], acc[i * TN + 4 * q + 1], acc[i * TN + 4 * q + 2], acc[i * TN + 4 * q + 3]);
                c4[(p.offsetC + (b * p.M + m) * p.N + n) / 4] = finishedQuad(b, m, n, sum, shift);
            }
        }
    }
}
#elif defined(TEXELS)
#if defined(SHARED_A)
// The subgroup's size.
layout(constant_id = 14) const uint SG = 8;
#endif
void main() {
    uint columnsPerGroup = gl_WorkGroupSize.x * TN;
    uint n0 = gl_WorkGroupID.x * columnsPerGroup + gl_LocalInvocationID.x;
    uint m0 = gl_WorkGroupID.y * TM;
    uint b = gl_WorkGroupID.z;
    // Fewer columns than lanes: llvmpipe skips a vector of lanes once all have returned. Lanes sharing
    // fetches stay until none of their subgroup has a column; the idle ones compute column N − 1 and
    // store nothing.
#if defined(SHARED_A)
    if (subgroupAll(n0 >= p.N)) return;
#else
    if (n0 >= p.N) return;
#endif
    // Out-of-range rows, and columns past the end for t > 0, compute on clamped indices and are not stored.
    uint wRow[TN];
    [[unroll]] for (uint t = 0; t < TN; t++) wRow[t] = p.offsetW + b * p.batchStrideW + min(n0 + t * gl_WorkGroupSize.x, p.N - 1) * p.K;
    uint aBase = p.offsetA + b * p.batchStrideA;
    uint rowA[TM];
    float acc[TM * TN];
    [[unroll]] for (uint i = 0; i < TM; i++) {
        rowA[i] = aBase + min(m0 + i, p.M - 1) * p.rowStrideA;
        [[unroll]] for (uint t = 0; t < TN; t++) acc[i * TN + t] = 0.0;
    }
#if defined(SHARED_A)
    // This lane's share of the TM rows' two texels per step: texel j of the step is row j / 2's half j % 2.
    const uint shares = (2 * TM + SG - 1) / SG;
    uint aShare[shares];
    [[unroll]] for (uint s = 0; s < shares; s++) {
        uint j = min(gl_SubgroupInvocationID + s * SG, 2 * TM - 1);
        aShare[s] = (rowA[j / 2] >> 2) + j % 2;
    }
#endif
    uint k = 0;
    for (; k + 8 <= p.K; k += 8) {
#if defined(SHARED_A)
        vec4 fetched[shares];
        [[unroll]] for (uint s = 0; s < shares; s++) fetched[s] = texelFetch(aTexels, int(aShare[s] + (k >> 2)));
#endif
        vec4 wv[2 * TN];  // wv[2t], wv[2t + 1] = W[column t, k .. k + 7]
        [[unroll]] for (uint t = 0; t < TN; t++) {
#if defined(B_F32)
            wv[2 * t] = texelFetch(wTexels, int((wRow[t] + k) >> 2));
            wv[2 * t + 1] = texelFetch(wTexels, int((wRow[t] + k) >> 2) + 1);
#elif defined(B_F8_E4M3)
            uvec2 packed = texelFetch(wTexels, int((wRow[t] + k) >> 3)).xy;  // RG32UI: 8 weights
            wv[2 * t] = unpack4(packed.x);
            wv[2 * t + 1] = unpack4(packed.y);
#elif defined(B_Q8_0) || defined(B_Q4_0)
            // R16UI texels: the block's scale, then its data, 8 weights in 4 halfwords.
            uint element = wRow[t] + k, first = (element >> 5) * (BLOCK_BYTES / 2u);
            float scale = unpackHalf2x16(texelFetch(wTexels, int(first)).x).x;
            float v[8];
#if defined(B_Q8_0)
            uint data = first + 1u + ((element & 31u) >> 1);
            [[unroll]] for (uint q = 0; q < 4; q++) {
                uint pair = texelFetch(wTexels, int(data + q)).x;
                v[2 * q] = float(int(pair << 24) >> 24);
                v[2 * q + 1] = float(int(pair << 16) >> 24);
            }
#else
            uint data = first + 1u + ((element & 15u) >> 1), shift = (element & 16u) >> 2;
            [[unroll]] for (uint q = 0; q < 4; q++) {
                uint pair = texelFetch(wTexels, int(data + q)).x >> shift;
                v[2 * q] = float(int(pair & 15u) - 8);
                v[2 * q + 1] = float(int((pair >> 8) & 15u) - 8);
            }
#endif
            wv[2 * t] = scale * vec4(v[0], v[1], v[2], v[3]);
            wv[2 * t + 1] = scale * vec4(v[4], v[5], v[6], v[7]);
#else
            uvec4 packed = texelFetch(wTexels, int((wRow[t] + k) >> 3));
            wv[2 * t] = vec4(unpack2(packed.x), unpack2(packed.y));
            wv[2 * t + 1] = vec4(unpack2(packed.z), unpack2(packed.w));
#endif
        }
        [[unroll]] for (uint i = 0; i < TM; i++) {
#if defined(SHARED_A)
            vec4 a0 = subgroupShuffle(fetched[2 * i / SG], 2 * i % SG);
            vec4 a1 = subgroupShuffle(fetched[(2 * i + 1) / SG], (2 * i + 1) % SG);
#else
            // Same address in every lane: the gather returns A[m, k .. k + 7] broadcast.
            vec4 a0 = texelFetch(aTexels, int((rowA[i] + k) >> 2));
            vec4 a1 = texelFetch(aTexels, int((rowA[i] + k) >> 2) + 1);
#endif
            [[unroll]] for (uint t = 0; t < TN; t++) {
                vec4 w0 = wv[2 * t], w1 = wv[2 * t + 1];
                float s = acc[i * TN + t];
                s = fma(a0.x, w0.x, fma(a0.y, w0.y, fma(a0.z, w0.z, fma(a0.w, w0.w, s))));
                acc[i * TN + t] = fma(a1.x, w1.x, fma(a1.y, w1.y, fma(a1.z, w1.z, fma(a1.w, w1.w, s))));
            }
        }
    }
    for (; k < p.K; k++) {
        [[unroll]] for (uint t = 0; t < TN; t++) {
            float wv = loadW1(wRow[t] + k);
            [[unroll]] for (uint i = 0; i < TM; i++) acc[i * TN + t] = fma(loadA(rowA[i] + k), wv, acc[i * TN + t]);
        }
    }
    [[unroll]] for (uint t = 0; t < TN; t++) {
        uint n = n0 + t * gl_WorkGroupSize.x;
        if (n < p.N) {
            [[unroll]] for (uint i = 0; i < TM; i++) {
                if (m0 + i < p.M) storeC(p.offsetC + (b * p.M + m0 + i) * p.N + n, finished(b, m0 + i, n, acc[i * TN + t]));
            }
        }
    }
}
#else
void main() {
    uint n = gl_WorkGroupID.x * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
    uint m0 = gl_WorkGroupID.y * TM;
    uint b = gl_WorkGroupID.z;
    // Out-of-range rows and columns compute on clamped indices and are not stored, so the loops
    // have no branches.
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
            acc[i] = fma(loadA(r), wv.x, fma(loadA(r + 1), wv.y, fma(loadA(r + 2), wv.z, fma(loadA(r + 3), wv.w, acc[i]))));
        }
    }
    for (; k < p.K; k++) {
        float wv = loadW1(wRow + k);
        [[unroll]] for (uint i = 0; i < TM; i++) acc[i] = fma(loadA(rowA[i] + k), wv, acc[i]);
    }
    if (n >= p.N) return;
    [[unroll]] for (uint i = 0; i < TM; i++) {
        if (m0 + i < p.M) storeC(p.offsetC + (b * p.M + m0 + i) * p.N + n, finished(b, m0 + i, n, acc[i]));
    }
}
#endif
