#version 450
// Scaled-dot-product attention, flash style: O = softmax(scale · Q·Kᵀ + bias) · V per (batch,
// head), computed with an online softmax over blocks of BLOCK keys, so no Lq × Lk matrix exists.
// Q, K and V are [B, H, L, D] views given by element strides (the last dimension contiguous), so
// both [B, H, L, D] tensors and [B, L, H·D] ones (Flux) are read in place; O is written through
// strides too. One invocation owns QR query rows: every key and value it loads serves QR rows.
// No shared memory or barriers (they are expensive on CPU devices; on GPUs QR = 1).
// TEXELS: K and V are read through texel buffers, a plain gather on llvmpipe where storage
// buffer loads become per-lane loops; offsets and strides are then multiples of 4.
// STORAGE16 (the _16 variants): Q, K, V and O each f32, f16 or bf16 (attention_storage.glsl); with
// TEXELS only Q and O, as no texel format holds bf16 (the host runs the plain kernel for 16-bit K or V).
// SHARED_KV (with TEXELS, where subgroups shuffle): every lane reads the same key and value rows, so
// each fetches a share of a row's texels and shuffles hand them round.
#extension GL_EXT_control_flow_attributes : enable
#extension GL_GOOGLE_include_directive : require
#if defined(SHARED_KV)
#extension GL_KHR_shader_subgroup_shuffle : require
#extension GL_KHR_shader_subgroup_vote : require
#endif
#if defined(STORAGE16)
#extension GL_EXT_shader_16bit_storage : require
#endif
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint D = 64;  // head dimension, a multiple of 4
layout(constant_id = 1) const uint QR = 1;  // query rows per invocation
layout(constant_id = 2) const bool HAS_BIAS = false;
const uint D4 = D / 4;
const uint BLOCK = 16;  // keys per online-softmax step: one rescale of the accumulators each

layout(binding = 0) readonly buffer Q { float q[]; };
layout(binding = 1) readonly buffer K { float k[]; };
layout(binding = 2) readonly buffer V { float v[]; };
layout(binding = 3) readonly buffer Bias { float bias[]; };
layout(binding = 4) writeonly buffer O { float o[]; };
#if defined(STORAGE16)
layout(binding = 0) readonly buffer Q16 { uint16_t q16[]; };
layout(binding = 1) readonly buffer K16 { uint16_t k16[]; };
layout(binding = 2) readonly buffer V16 { uint16_t v16[]; };
layout(binding = 4) writeonly buffer O16 { uint16_t o16[]; };
layout(constant_id = 3) const uint Q_STORAGE = 0;  // storage16.glsl codes
layout(constant_id = 4) const uint K_STORAGE = 0;
layout(constant_id = 5) const uint V_STORAGE = 0;
layout(constant_id = 6) const uint O_STORAGE = 0;
#include "attention_storage.glsl"
#else  // f32 only: plain accesses, so this variant needs no 16-bit storage
#define loadQ(i) q[i]
#define storeO(i, value) o[i] = value
#endif
#if defined(TEXELS)
layout(binding = 5) uniform samplerBuffer kTexels;
layout(binding = 6) uniform samplerBuffer vTexels;
vec4 loadK(uint i) { return texelFetch(kTexels, int(i >> 2)); }
vec4 loadV(uint i) { return texelFetch(vTexels, int(i >> 2)); }
#if defined(SHARED_KV)
layout(constant_id = 7) const uint SG = 8;  // the subgroup's size
const uint SHARES = (D4 + SG - 1) / SG;
// The row of D4 texels at `row`, each lane fetching its share.
#define FETCH_SHARES(load, row, shares) \
    [[unroll]] for (uint s = 0; s < SHARES; s++) shares[s] = load(row + 4 * min(gl_SubgroupInvocationID + s * SG, D4 - 1))
#define SHARED_TEXEL(shares, d) subgroupShuffle(shares[(d) / SG], (d) % SG)
#endif
#elif defined(STORAGE16)
vec4 loadK(uint i) { return vec4(loadK1(i), loadK1(i + 1), loadK1(i + 2), loadK1(i + 3)); }
vec4 loadV(uint i) { return vec4(loadV1(i), loadV1(i + 1), loadV1(i + 2), loadV1(i + 3)); }
#else
vec4 loadK(uint i) { return vec4(k[i], k[i + 1], k[i + 2], k[i + 3]); }
vec4 loadV(uint i) { return vec4(v[i], v[i + 1], v[i + 2], v[i + 3]); }
#endif

#include "attention_params.glsl"

const float NEG_INF = -1.0 / 0.0;

void main() {
    uint b = gl_WorkGroupID.z / p.heads, h = gl_WorkGroupID.z % p.heads;
    uint first = (gl_WorkGroupID.x * 64 + gl_LocalInvocationID.x) * QR;
#if defined(SHARED_KV)
    // Lanes sharing fetches stay until none of their subgroup has a query; the idle ones repeat the last.
    if (subgroupAll(first >= p.queries)) return;
#else
    if (first >= p.queries) return;
#endif
    uint qBase = p.offsetQ + b * p.qStrides.x + h * p.qStrides.y;
    uint kBase = p.offsetK + b * p.kStrides.x + h * p.kStrides.y;
    uint vBase = p.offsetV + b * p.vStrides.x + h * p.vStrides.y;
    uint biasBase = p.offsetBias + b * p.biasStrides.x + h * p.biasStrides.y;

    vec4 qv[QR][D4];
    vec4 acc[QR][D4];
    float m[QR], l[QR];
    for (uint r = 0; r < QR; r++) {
        // Rows past the end repeat the last one; their results are not written.
        uint row = qBase + min(first + r, p.queries - 1) * p.qStrides.z;
        for (uint d = 0; d < D4; d++) {
            qv[r][d] = vec4(loadQ(row + 4 * d), loadQ(row + 4 * d + 1), loadQ(row + 4 * d + 2), loadQ(row + 4 * d + 3)) * p.scale;
            acc[r][d] = vec4(0.0);
        }
        m[r] = NEG_INF;
        l[r] = 0.0;
    }

    float s[QR][BLOCK];
    // Loops over keys stay loops: unrolled, they make llvmpipe's shader compilation take minutes.
    [[dont_unroll]] for (uint start = 0; start < p.keys; start += BLOCK) {
        uint count = min(BLOCK, p.keys - start);
        [[dont_unroll]] for (uint j = 0; j < BLOCK; j++) {
            for (uint r = 0; r < QR; r++) s[r][j] = NEG_INF;
            if (j >= count) continue;
            uint key = kBase + (start + j) * p.kStrides.z;
            vec4 dots[QR];
            for (uint r = 0; r < QR; r++) dots[r] = vec4(0.0);
#if defined(SHARED_KV)
            vec4 kShares[SHARES];
            FETCH_SHARES(loadK, key, kShares);
#endif
            [[unroll]] for (uint d = 0; d < D4; d++) {
#if defined(SHARED_KV)
                vec4 kv = SHARED_TEXEL(kShares, d);
#else
                vec4 kv = loadK(key + 4 * d);
#endif
                for (uint r = 0; r < QR; r++) dots[r] += qv[r][d] * kv;
            }
            for (uint r = 0; r < QR; r++) {
                float score = dots[r].x + dots[r].y + dots[r].z + dots[r].w;
                if (HAS_BIAS) {
                    uint query = min(first + r, p.queries - 1);
                    score += bias[biasBase + query * p.biasStrides.z + (start + j) * p.biasStrides.w];
                }
                s[r][j] = score;
            }
        }
        for (uint r = 0; r < QR; r++) {
            float blockMax = NEG_INF;
            for (uint j = 0; j < BLOCK; j++) blockMax = max(blockMax, s[r][j]);
            float next = max(m[r], blockMax);
            // Fully masked so far (-inf everywhere): nothing to rescale, and exp(-inf - -inf) is NaN.
            float correction = m[r] == NEG_INF ? 0.0 : exp(m[r] - next);
            l[r] *= correction;
            for (uint d = 0; d < D4; d++) acc[r][d] *= correction;
            for (uint j = 0; j < BLOCK; j++) {
                s[r][j] = s[r][j] == NEG_INF ? 0.0 : exp(s[r][j] - next);
                l[r] += s[r][j];
            }
            m[r] = next;
        }
        [[dont_unroll]] for (uint j = 0; j < count; j++) {
            uint value = vBase + (start + j) * p.vStrides.z;
#if defined(SHARED_KV)
            vec4 vShares[SHARES];
            FETCH_SHARES(loadV, value, vShares);
#endif
            [[unroll]] for (uint d = 0; d < D4; d++) {
#if defined(SHARED_KV)
                vec4 vv = SHARED_TEXEL(vShares, d);
#else
                vec4 vv = loadV(value + 4 * d);
#endif
                for (uint r = 0; r < QR; r++) acc[r][d] += s[r][j] * vv;
            }
        }
    }

    uint oBase = p.offsetO + b * p.oStrides.x + h * p.oStrides.y;
    for (uint r = 0; r < QR; r++) {
        if (first + r >= p.queries) break;
        uint row = oBase + (first + r) * p.oStrides.z;
        float inv = 1.0 / l[r];
        for (uint d = 0; d < D4; d++) {
            vec4 result = acc[r][d] * inv;
            storeO(row + 4 * d, result.x);
            storeO(row + 4 * d + 1, result.y);
            storeO(row + 4 * d + 2, result.z);
            storeO(row + 4 * d + 3, result.w);
        }
    }
}
