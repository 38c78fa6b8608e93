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

float finished(uint b, uint m, uint n, float sum) {
    float v = sum * p.scaleW + (HAS_BIAS ? bias[p.offsetBias + n] : 0.0);
    if (ACTIVATION != 0 && n >= p.activationStart) {
        v = ACTIVATION == 1 ? geluTanh(v) : ACTIVATION == 2 ? silu(v) : ACTIVATION == 3 ? geluErf(v) : quickGelu(v);
    }
    if (RESIDUAL != 0) {
        float g = RESIDUAL == 2 ? gate[p.offsetGate + ((b * p.M + m) / p.gateRows) * p.gateStride + n] : 1.0;
        v = residual[p.offsetResidual + b * p.residualBatchStride + m * p.residualRowStride + n] + g * v;
    }
    return v;
}
