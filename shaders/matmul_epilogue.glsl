// What a matmul does to each finished sum before storing it, so a transformer block needs no
// separate dispatches (and no extra pass over its largest tensors) for the bias, the MLP's
// activation or the gated residual:
//   v = scale · sum + bias[n];  v = act(v) for columns n ≥ activationStart;
//   stored = residual[b, m, n] + gate[(b·M + m) / gateRows, n] · v  (or residual + v, or v).
// Needs the including shader's `p` (matmul_params.glsl), HAS_BIAS and the Bias binding.
#include "activations.glsl"
layout(constant_id = 10) const uint ACTIVATION = 0;  // 0 none, 1 GELU (tanh), 2 SiLU, 3 GELU (erf), 4 quick GELU
layout(constant_id = 11) const uint RESIDUAL = 0;    // 0 none, 1 residual + v, 2 residual + gate · v

layout(binding = 4) readonly buffer Residual { float residual[]; };
layout(binding = 5) readonly buffer Gate { float gate[]; };

// ACTIVATION (not 0) applied to v.
float activated(float v) {
    return ACTIVATION == 1 ? geluTanh(v) : ACTIVATION == 2 ? silu(v) : ACTIVATION == 3 ? geluErf(v) : quickGelu(v);
}

float finished(uint b, uint m, uint n, float sum) {
    float v = sum * p.scaleW + (HAS_BIAS ? bias[p.offsetBias + n] : 0.0);
    if (ACTIVATION != 0 && n >= p.activationStart) v = activated(v);
    if (RESIDUAL != 0) {
        float g = RESIDUAL == 2 ? gate[p.offsetGate + ((b * p.M + m) / p.gateRows) * p.gateStride + n] : 1.0;
        v = residual[p.offsetResidual + b * p.residualBatchStride + m * p.residualRowStride + n] + g * v;
    }
    return v;
}

#if defined(QUAD_EPILOGUE)
// `finished` for output columns n .. n + 3 of row m, with the residual and gate read 16 bytes at a time (their
// offsets and strides are multiples of 4) and the bias given.
layout(binding = 4) readonly buffer Residual4 { vec4 residual4[]; };
layout(binding = 5) readonly buffer Gate4 { vec4 gate4[]; };

vec4 finishedQuad(uint b, uint m, uint n, vec4 sum, vec4 shift) {
    vec4 v = sum * p.scaleW + shift;
    if (ACTIVATION != 0) {
        [[unroll]] for (uint j = 0; j < 4; j++) {
            if (n + j >= p.activationStart) v[j] = activated(v[j]);
        }
    }
    if (RESIDUAL != 0) {
        vec4 g = RESIDUAL == 2 ? gate4[(p.offsetGate + ((b * p.M + m) / p.gateRows) * p.gateStride + n) / 4] : vec4(1.0);
        v = residual4[(p.offsetResidual + b * p.residualBatchStride + m * p.residualRowStride + n) / 4] + g * v;
    }
    return v;
}
#endif
