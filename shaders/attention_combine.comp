#version 450
// Merges split-KV attention (attention_coopmat.comp's SPLIT variant). Each of S key ranges left, per query
// row, its output O_s unnormalised against its own running maximum m_s, and the sum l_s of its weights; the
// row's output is Σ e^(m_s − M) · O_s / Σ e^(m_s − M) · l_s, M the largest m_s, which is what one pass over all
// keys computes. A range whose keys are all masked (m_s = -inf) weighs nothing; a row masked everywhere comes
// out NaN, as from the unsplit kernel and PyTorch. One invocation per query row.
// STORAGE16: O stored f32, f16 or bf16 (storage16.glsl code O_STORAGE).
#extension GL_GOOGLE_include_directive : require
#if defined(STORAGE16)
#extension GL_EXT_shader_16bit_storage : require
#endif
layout(local_size_x = 64) in;

// attention_coopmat.comp's [B·H, S, Lq, D + 2] partial rows.
layout(binding = 0) readonly buffer Partials { float partials[]; };
layout(binding = 1) writeonly buffer O { float o[]; };
#if defined(STORAGE16)
layout(binding = 1) writeonly buffer O16 { uint16_t o16[]; };
layout(constant_id = 0) const uint O_STORAGE = 0;
#include "storage16.glsl"
#endif

layout(push_constant) uniform Params {
    uint heads;
    uint queries;
    uint depth;
    uint splits;      // at most MAX_SPLITS
    uvec3 oStrides;  // batch, head, token
    uint offsetO;
} p;

const uint MAX_SPLITS = 16;
const float NEG_INF = -1.0 / 0.0;

void main() {
    uint query = gl_GlobalInvocationID.x;
    if (query >= p.queries) return;
    uint b = gl_WorkGroupID.z / p.heads, h = gl_WorkGroupID.z % p.heads;
    uint row = p.depth + 2, splitStride = p.queries * row;
    uint first = gl_WorkGroupID.z * p.splits * splitStride + query * row;
    uint splits = min(p.splits, MAX_SPLITS);

    float largest = NEG_INF;
    for (uint s = 0; s < splits; s++) largest = max(largest, partials[first + s * splitStride + p.depth]);
    float weights[MAX_SPLITS];
    float total = 0.0;
    for (uint s = 0; s < splits; s++) {
        float m = partials[first + s * splitStride + p.depth];
        weights[s] = m == NEG_INF ? 0.0 : exp(m - largest);
        total += weights[s] * partials[first + s * splitStride + p.depth + 1];
    }
    float inverse = 1.0 / total;
    uint out0 = p.offsetO + b * p.oStrides.x + h * p.oStrides.y + query * p.oStrides.z;
    for (uint d = 0; d < p.depth; d++) {
        float sum = 0.0;
        for (uint s = 0; s < splits; s++) sum += weights[s] * partials[first + s * splitStride + d];
        float value = sum * inverse;
#if defined(STORAGE16)
        store16(o, O_STORAGE, out0 + d, value);
#else
        o[out0 + d] = value;
#endif
    }
}
