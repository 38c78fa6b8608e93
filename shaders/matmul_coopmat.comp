#version 450
// C[b, m, n] = scale * sum_k A[b, m, k] * W[b, n, k] (+ bias[n]) with VK_KHR_cooperative_matrix
// f16 × f16 → f32 matrices (tensor cores). Bindings, push constants and specialization constants
// 0, 2 and 3 are matmul.comp's, so both share the host's dispatch.
//
// A workgroup of 2 × 2 subgroups computes a BM × BN block of C, each subgroup a WM × WN grid of
// CM × CM f32 accumulators (CM: the square shape the device reports, 16 on NVIDIA, 8 on
// lavapipe). K advances BK values at a time: all invocations stage A and the dequantised W as f16
// in shared memory, 4 consecutive k per invocation (one vector load where rows are aligned), so
// neighbouring invocations read neighbouring memory; out-of-range rows and k are zero. Each
// accumulator leaves through a per-subgroup CM × CM tile of shared memory, so edge blocks store
// only in-range values, with scale and bias.
//
// Split-K (SPLITS > 1, for grids too small to occupy the device): workgroup z = s · batches + b
// sums part s of K, whole BK steps, and stores it scaled, as batch z of C; the host passes no
// bias and matmul_split_sum.comp adds the parts and the bias.
//
// f16 range: values beyond ±65504 would become infinities in the f16 tiles. Weights never come
// near it (f8 e4m3 stops at 448, the per-tensor scale is applied in f32 at the end), but
// activations can. ComfyUI saturates them there when it computes in f16 (its Flux blocks map
// ±inf of the hidden states to ±65504; Hugging Face's T5 clamps just below), and runs models
// whose activations need more in bf16 or f32. So staged values are clamped to ±65504 like those
// paths instead of turning a finite input into inf/NaN; values below f16's normal range (6.1e-5)
// lose relative precision. Models that overflow there need the f32 kernels (MatmulKernel.tiled).
//
// COOPMAT2 (the `matmul_coopmat2_*` variants, VK_NV_cooperative_matrix2's flexible dimensions and
// per-element operations): the same staging, but each subgroup holds its WM·CM × WN·CM block as one
// accumulator (CM: the granularity of the device's flexible shapes) and multiplies a whole BK step
// at once, so the driver picks the hardware's own matrix shapes; the epilogue runs per element on
// the accumulator and stores straight to C, with no shared-memory tile and no subgroup barriers on
// the way out.
#extension GL_EXT_control_flow_attributes : enable
#extension GL_KHR_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_GOOGLE_include_directive : require
#ifdef COOPMAT2
#extension GL_NV_cooperative_matrix2 : require
#endif
#ifdef STORAGE16
#extension GL_EXT_shader_16bit_storage : require
#endif
// 4 subgroups of the size the device reports (the host passes 4 × subgroup size). A driver free
// to pick another size for this shader (Intel) would need VK_EXT_subgroup_size_control's
// required size, which the host does not set yet.
layout(local_size_x_id = 0) in;
// Accumulators per subgroup along M and N.
layout(constant_id = 1) const uint WM = 2;
layout(constant_id = 4) const uint WN = 2;
layout(constant_id = 2) const bool HAS_BIAS = false;
// Packed 16- or 8-bit weights: true when every weight row starts on a 32-bit word.
layout(constant_id = 3) const bool W_EVEN = true;
layout(constant_id = 5) const uint CM = 16;
// Values of k staged per step: a multiple of CM.
layout(constant_id = 6) const uint BK = 32;
// Rows of A (resp. f32, f16, bf16 or f8 rows of W) start on a multiple of 4 elements and K is one:
// 4 values are one vec4 (resp. one 4-, 8- or 16-byte) load.
layout(constant_id = 7) const bool A_VEC4 = false;
layout(constant_id = 8) const bool W_VEC4 = false;
layout(constant_id = 9) const uint SPLITS = 1;

layout(binding = 0) readonly buffer A { float a[]; };
layout(binding = 0) readonly buffer A4 { vec4 a4[]; };
#ifdef STORAGE16
layout(binding = 0) readonly buffer A16 { uint16_t a16[]; };
#endif
#if defined(B_F32)
layout(binding = 1) readonly buffer W { float w[]; };
layout(binding = 1) readonly buffer W4 { vec4 w4[]; };
#else
layout(binding = 1) readonly buffer W { uint w[]; };  // packed values or blocks, little-endian
layout(binding = 1) readonly buffer W2 { uvec2 w2[]; };
#endif
layout(binding = 2) readonly buffer Bias { float bias[]; };
layout(binding = 3) writeonly buffer C { float c[]; };
#ifdef STORAGE16
layout(binding = 3) writeonly buffer C16 { uint16_t c16[]; };
#endif
#include "matmul_params.glsl"
#include "matmul_storage.glsl"

#include "weights.glsl"
#include "matmul_epilogue.glsl"

const uint SUBGROUPS_M = 2, SUBGROUPS_N = 2;
const uint BM = SUBGROUPS_M * WM * CM, BN = SUBGROUPS_N * WN * CM;
// f16 per shared row: 16 bytes of padding put successive rows on different banks, and rows stay
// 16-byte aligned for the matrix loads.
const uint STRIDE = BK + 8;
shared float16_t tileA[BM * STRIDE];  // [m][k]
shared float16_t tileW[BN * STRIDE];  // [n][k]: W's rows, read as a column-major K × N matrix
#ifndef COOPMAT2
shared float tileC[SUBGROUPS_M * SUBGROUPS_N * CM * CM];      // [subgroup][m][n]
#endif

const float F16_MAX = 65504.0;

// W[i .. i + 3], i on a multiple of 4 when W_VEC4.
vec4 loadW4Staged(uint i) {
#if defined(B_F32)
    if (W_VEC4) return w4[i >> 2];
#elif defined(B_F16) || defined(B_BF16)
    if (W_VEC4) {
        uvec2 words = w2[i >> 2];
        return vec4(unpack2(words.x), unpack2(words.y));
    }
#endif
    return loadW4(i);
}

void stage(uint k0, uint m0, uint n0, uint aBase, uint wBase) {
    const uint groups = BK / 4;  // groups of 4 values of k per row
    for (uint e = gl_LocalInvocationID.x; e < BM * groups; e += gl_WorkGroupSize.x) {
        uint row = e / groups, kk = (e % groups) * 4, m = m0 + row, k = k0 + kk;
        vec4 v = vec4(0.0);
        if (m < p.M) {
            uint i = aBase + m * p.rowStrideA + k;
            if (A_VEC4 && A_STORAGE == 0u) {
                if (k < p.K) v = a4[i >> 2];
            } else {
                [[unroll]] for (uint j = 0; j < 4; j++) if (k + j < p.K) v[j] = loadA(i + j);
            }
        }
        v = clamp(v, -F16_MAX, F16_MAX);
        [[unroll]] for (uint j = 0; j < 4; j++) tileA[row * STRIDE + kk + j] = float16_t(v[j]);
    }
    for (uint e = gl_LocalInvocationID.x; e < BN * groups; e += gl_WorkGroupSize.x) {
        uint row = e / groups, kk = (e % groups) * 4, n = n0 + row, k = k0 + kk;
        vec4 v = vec4(0.0);
        if (n < p.N) {
            uint i = wBase + n * p.K + k;
            if (k + 3 < p.K) {
                v = loadW4Staged(i);
            } else {
                [[unroll]] for (uint j = 0; j < 4; j++) if (k + j < p.K) v[j] = loadW1(i + j);
            }
        }
        v = clamp(v, -F16_MAX, F16_MAX);
        [[unroll]] for (uint j = 0; j < 4; j++) tileW[row * STRIDE + kk + j] = float16_t(v[j]);
    }
}

#ifdef COOPMAT2
// Rows and columns of C one subgroup computes, as one flexible-size accumulator.
const uint SM = WM * CM, SN = WN * CM;

// Element (row, column) of a subgroup's accumulator whose first row of C is mTile and first column
// nTile, stored with the epilogue. Calls may repeat for an element; they store the same value.
float storeElement(const in uint row, const in uint column, const in float sum, const in uint mTile, const in uint nTile, const in uint z) {
    uint m = mTile + row, n = nTile + column;
    if (m < p.M && n < p.N) {
        float v = SPLITS > 1 ? sum * p.scaleW : finished(z, m, n, sum);
        storeC(p.offsetC + (z * p.M + m) * p.N + n, v);
    }
    return sum;
}
#endif

void main() {
    uint m0 = gl_WorkGroupID.y * BM, n0 = gl_WorkGroupID.x * BN, z = gl_WorkGroupID.z;
    uint batches = gl_NumWorkGroups.z / SPLITS, b = z % batches, split = z / batches;
    uint stepsPerSplit = ((p.K + BK - 1) / BK + SPLITS - 1) / SPLITS;
    uint kBegin = split * stepsPerSplit * BK, kEnd = min(p.K, kBegin + stepsPerSplit * BK);
    uint aBase = p.offsetA + b * p.batchStrideA, wBase = p.offsetW + b * p.batchStrideW;
    uint subgroup = gl_SubgroupID;
    uint rowA = (subgroup / SUBGROUPS_N) * WM * CM, rowW = (subgroup % SUBGROUPS_N) * WN * CM;
#ifdef COOPMAT2
    coopmat<float, gl_ScopeSubgroup, SM, SN, gl_MatrixUseAccumulator> sum = coopmat<float, gl_ScopeSubgroup, SM, SN, gl_MatrixUseAccumulator>(0.0);
    for (uint k0 = kBegin; k0 < kEnd; k0 += BK) {
        stage(k0, m0, n0, aBase, wBase);
        barrier();
        // k past K was staged as zeros, so a partial step needs no special case.
        coopmat<float16_t, gl_ScopeSubgroup, SM, BK, gl_MatrixUseA> ma;
        coopmat<float16_t, gl_ScopeSubgroup, BK, SN, gl_MatrixUseB> mb;
        coopMatLoad(ma, tileA, rowA * STRIDE, STRIDE, gl_CooperativeMatrixLayoutRowMajor);
        coopMatLoad(mb, tileW, rowW * STRIDE, STRIDE, gl_CooperativeMatrixLayoutColumnMajor);
        sum = coopMatMulAdd(ma, mb, sum);
        barrier();
    }
    coopMatPerElementNV(sum, sum, storeElement, m0 + rowA, n0 + rowW, z);
#else
    coopmat<float, gl_ScopeSubgroup, CM, CM, gl_MatrixUseAccumulator> acc[WM * WN];
    [[unroll]] for (uint t = 0; t < WM * WN; t++) acc[t] = coopmat<float, gl_ScopeSubgroup, CM, CM, gl_MatrixUseAccumulator>(0.0);
    for (uint k0 = kBegin; k0 < kEnd; k0 += BK) {
        stage(k0, m0, n0, aBase, wBase);
        barrier();
        [[unroll]] for (uint kk = 0; kk < BK; kk += CM) {
            if (k0 + kk >= p.K) break;  // the rest of the tile is zeros
            coopmat<float16_t, gl_ScopeSubgroup, CM, CM, gl_MatrixUseA> ma[WM];
            coopmat<float16_t, gl_ScopeSubgroup, CM, CM, gl_MatrixUseB> mb[WN];
            [[unroll]] for (uint i = 0; i < WM; i++) {
                coopMatLoad(ma[i], tileA, (rowA + i * CM) * STRIDE + kk, STRIDE, gl_CooperativeMatrixLayoutRowMajor);
            }
            [[unroll]] for (uint j = 0; j < WN; j++) {
                coopMatLoad(mb[j], tileW, (rowW + j * CM) * STRIDE + kk, STRIDE, gl_CooperativeMatrixLayoutColumnMajor);
            }
            [[unroll]] for (uint i = 0; i < WM; i++) {
                [[unroll]] for (uint j = 0; j < WN; j++) acc[i * WN + j] = coopMatMulAdd(ma[i], mb[j], acc[i * WN + j]);
            }
        }
        barrier();
    }
    uint tile = subgroup * CM * CM;
    [[unroll]] for (uint i = 0; i < WM; i++) {
        [[unroll]] for (uint j = 0; j < WN; j++) {
            coopMatStore(acc[i * WN + j], tileC, tile, CM, gl_CooperativeMatrixLayoutRowMajor);
            subgroupMemoryBarrierShared();
            subgroupBarrier();
            uint mTile = m0 + rowA + i * CM, nTile = n0 + rowW + j * CM;
            for (uint e = gl_SubgroupInvocationID; e < CM * CM; e += gl_SubgroupSize) {
                uint m = mTile + e / CM, n = nTile + e % CM;
                if (m < p.M && n < p.N) storeC(p.offsetC + (z * p.M + m) * p.N + n, SPLITS > 1 ? tileC[tile + e] * p.scaleW : finished(z, m, n, tileC[tile + e]));
            }
            subgroupBarrier();  // the next accumulator reuses the tile
        }
    }
#endif
}
