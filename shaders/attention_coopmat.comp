#version 450
// attention.comp's O = softmax(scale · Q·Kᵀ + bias) · V (same strided views, bias and push constants) on
// VK_KHR_cooperative_matrix: each of the RT subgroups of a workgroup owns CM query rows, CM being a square
// f16 × f16 → f32 shape the device reports (16 on NVIDIA, 8 on lavapipe), and the workgroup walks the keys in
// blocks of KT·CM, each block loaded once for all RT·CM rows. S = Q·Kᵀ
// comes from coopmats; the online softmax runs in f32 in shared memory; O += P·V takes P rounded to f16.
// O lives in shared memory as f32 because a row must be rescaled when its running maximum grows, and a
// coopmat's elements have no row index. Zero-padded Q, K and V rows fill the partial tiles at the edges;
// keys past the end score -inf.
// STORAGE16 (the _16 variant): Q, K, V and O each f32, f16 or bf16 (attention_storage.glsl). 16-bit
// inputs are decoded to f32 and then staged as the f32 ones are: f16 exactly, bf16 as its f32 value.
// SPLIT (split-KV, for grids too small to fill the GPU): workgroup y takes keys [y·keysPerSplit, …) only and
// leaves its rows' unnormalised output, maximum and sum in `partials` for attention_combine.comp; O is not written.
#extension GL_KHR_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_GOOGLE_include_directive : require
#if defined(STORAGE16)
#extension GL_EXT_shader_16bit_storage : require
#endif
layout(local_size_x_id = 0) in;  // RT subgroups
layout(constant_id = 1) const uint D = 64;  // head dimension, a multiple of CM
layout(constant_id = 2) const bool HAS_BIAS = false;
layout(constant_id = 3) const uint CM = 16;
layout(constant_id = 4) const uint KT = 2;  // key tiles per block: the host fits the shared memory below
layout(constant_id = 5) const uint RT = 1;  // row tiles per workgroup, one per subgroup
const uint BK = KT * CM;  // keys per online-softmax step
const uint BQ = RT * CM;  // query rows per workgroup
const uint DT = D / CM;

layout(binding = 0) readonly buffer Q { float q[]; };
layout(binding = 1) readonly buffer K { float k[]; };
layout(binding = 2) readonly buffer V { float v[]; };
layout(binding = 3) readonly buffer Bias { float bias[]; };
layout(binding = 4) writeonly buffer O { float o[]; };
#if defined(SPLIT)
// [B·H, splits, Lq, D + 2]: per query row, its output over this range, then the range's maximum and sum.
layout(binding = 5) writeonly buffer Partials { float partials[]; };
#endif
#if defined(STORAGE16)
layout(binding = 0) readonly buffer Q16 { uint16_t q16[]; };
layout(binding = 1) readonly buffer K16 { uint16_t k16[]; };
layout(binding = 2) readonly buffer V16 { uint16_t v16[]; };
layout(binding = 4) writeonly buffer O16 { uint16_t o16[]; };
layout(constant_id = 6) const uint Q_STORAGE = 0;  // storage16.glsl codes
layout(constant_id = 7) const uint K_STORAGE = 0;
layout(constant_id = 8) const uint V_STORAGE = 0;
layout(constant_id = 9) const uint O_STORAGE = 0;
#include "attention_storage.glsl"
#else  // f32 only: plain accesses, so this variant needs no 16-bit storage
#define loadQ(i) q[i]
#define loadK1(i) k[i]
#define loadV1(i) v[i]
#define storeO(i, value) o[i] = value
#endif

#include "attention_params.glsl"

const float NEG_INF = -1.0 / 0.0;

// Saturates at f16's largest value, as the cooperative matmul stages its operands: a large q, k or
// v (f32 or bf16) then clips rather than turning the row into inf or NaN.
float16_t toHalf(float x) { return float16_t(clamp(x, -65504.0, 65504.0)); }

shared float16_t tileK[BK * D];  // [key][d]; at the start, one subgroup's Q rows at a time
shared float16_t tileV[BK * D];  // [key][d]
shared float tileS[BQ * BK];     // [row][key]
shared float16_t tileP[BQ * BK];
shared float tileO[BQ * D];
shared float rowMax[BQ];
shared float rowSum[BQ];

void main() {
    uint id = gl_LocalInvocationID.x, size = gl_WorkGroupSize.x;
    uint b = gl_WorkGroupID.z / p.heads, h = gl_WorkGroupID.z % p.heads;
    uint first = gl_WorkGroupID.x * BQ;
    uint rows = min(BQ, p.queries - first);
    uint tile = gl_SubgroupID;  // this subgroup's rows: tile · CM ..< (tile + 1) · CM
    uint qBase = p.offsetQ + b * p.qStrides.x + h * p.qStrides.y;
    uint kBase = p.offsetK + b * p.kStrides.x + h * p.kStrides.y;
    uint vBase = p.offsetV + b * p.vStrides.x + h * p.vStrides.y;
    uint biasBase = p.offsetBias + b * p.biasStrides.x + h * p.biasStrides.y;

    for (uint e = id; e < BQ * D; e += size) tileO[e] = 0.0;
    for (uint r = id; r < BQ; r += size) {
        rowMax[r] = NEG_INF;
        rowSum[r] = 0.0;
    }
    coopmat<float16_t, gl_ScopeSubgroup, CM, CM, gl_MatrixUseA> queries[DT];
    for (uint t = 0; t < RT; t++) {
        for (uint e = id; e < CM * D; e += size) {
            uint r = t * CM + e / D, d = e % D;
            tileK[e] = toHalf(r < rows ? loadQ(qBase + (first + r) * p.qStrides.z + d) : 0.0);
        }
        barrier();
        if (t == tile) {
            for (uint c = 0; c < DT; c++) coopMatLoad(queries[c], tileK, c * CM, D, gl_CooperativeMatrixLayoutRowMajor);
        }
        barrier();
    }

#if defined(SPLIT)
    uint keyStart = gl_WorkGroupID.y * p.keysPerSplit, keyEnd = min(p.keys, keyStart + p.keysPerSplit);
#else
    uint keyStart = 0, keyEnd = p.keys;
#endif
    for (uint start = keyStart; start < keyEnd; start += BK) {
        uint count = min(BK, keyEnd - start);
        for (uint e = id; e < BK * D; e += size) {
            uint j = e / D, d = e % D;
            bool inside = j < count;
            tileK[e] = toHalf(inside ? loadK1(kBase + (start + j) * p.kStrides.z + d) : 0.0);
            tileV[e] = toHalf(inside ? loadV1(vBase + (start + j) * p.vStrides.z + d) : 0.0);
        }
        barrier();
        for (uint t = 0; t < KT; t++) {
            coopmat<float, gl_ScopeSubgroup, CM, CM, gl_MatrixUseAccumulator> scores =
                coopmat<float, gl_ScopeSubgroup, CM, CM, gl_MatrixUseAccumulator>(0.0);
            for (uint c = 0; c < DT; c++) {
                // Kᵀ's column j is key j: the [key][d] tile read column-major.
                coopmat<float16_t, gl_ScopeSubgroup, CM, CM, gl_MatrixUseB> keys;
                coopMatLoad(keys, tileK, t * CM * D + c * CM, D, gl_CooperativeMatrixLayoutColumnMajor);
                scores = coopMatMulAdd(queries[c], keys, scores);
            }
            coopMatStore(scores, tileS, tile * CM * BK + t * CM, BK, gl_CooperativeMatrixLayoutRowMajor);
        }
        barrier();
        for (uint r = id; r < BQ; r += size) {
            // Rows past the end read the last query's bias; their results are not written.
            uint query = min(first + r, p.queries - 1);
            float blockMax = NEG_INF;
            for (uint j = 0; j < BK; j++) {
                float score = NEG_INF;
                if (j < count) {
                    score = tileS[r * BK + j] * p.scale;
                    if (HAS_BIAS) score += bias[biasBase + query * p.biasStrides.z + (start + j) * p.biasStrides.w];
                }
                tileS[r * BK + j] = score;
                blockMax = max(blockMax, score);
            }
            float previous = rowMax[r], next = max(previous, blockMax);
            // As in attention.comp: nothing to rescale while fully masked, and exp(-inf - -inf) is NaN.
            float correction = previous == NEG_INF ? 0.0 : exp(previous - next);
            float sum = rowSum[r] * correction;
            for (uint j = 0; j < BK; j++) {
                float score = tileS[r * BK + j];
                float16_t weight = float16_t(score == NEG_INF ? 0.0 : exp(score - next));
                tileP[r * BK + j] = weight;
                sum += float(weight);  // the rounded weights, so that the weights V meets sum to one
            }
            rowMax[r] = next;
            rowSum[r] = sum;
            for (uint d = 0; d < D; d++) tileO[r * D + d] *= correction;
        }
        barrier();
        for (uint c = 0; c < DT; c++) {
            coopmat<float, gl_ScopeSubgroup, CM, CM, gl_MatrixUseAccumulator> acc;
            coopMatLoad(acc, tileO, tile * CM * D + c * CM, D, gl_CooperativeMatrixLayoutRowMajor);
            for (uint t = 0; t < KT; t++) {
                coopmat<float16_t, gl_ScopeSubgroup, CM, CM, gl_MatrixUseA> weights;
                coopmat<float16_t, gl_ScopeSubgroup, CM, CM, gl_MatrixUseB> values;
                coopMatLoad(weights, tileP, tile * CM * BK + t * CM, BK, gl_CooperativeMatrixLayoutRowMajor);
                coopMatLoad(values, tileV, t * CM * D + c * CM, D, gl_CooperativeMatrixLayoutRowMajor);
                acc = coopMatMulAdd(weights, values, acc);
            }
            coopMatStore(acc, tileO, tile * CM * D + c * CM, D, gl_CooperativeMatrixLayoutRowMajor);
        }
        barrier();
    }

#if defined(SPLIT)
    uint partialBase = ((gl_WorkGroupID.z * gl_NumWorkGroups.y + gl_WorkGroupID.y) * p.queries + first) * (D + 2);
    for (uint e = id; e < rows * (D + 2); e += size) {
        uint r = e / (D + 2), d = e % (D + 2);
        partials[partialBase + e] = d < D ? tileO[r * D + d] : (d == D ? rowMax[r] : rowSum[r]);
    }
#else
    uint oBase = p.offsetO + b * p.oStrides.x + h * p.oStrides.y;
    for (uint e = id; e < rows * D; e += size) {
        uint r = e / D, d = e % D;
        storeO(oBase + (first + r) * p.oStrides.z + d, tileO[e] * (1.0 / rowSum[r]));
    }
#endif
}
