#version 450
// C[i] = epilogue(Σ_s partial[s · count + i]): completes a cooperative matmul whose K was split
// (matmul_coopmat.comp with SPLITS > 1 writes the scaled partial products, without bias), with
// the bias, activation and residual of matmul_epilogue.glsl, stored f32 (or, with STORAGE16, f16
// or bf16).
#extension GL_GOOGLE_include_directive : require
#ifdef STORAGE16
#extension GL_EXT_shader_16bit_storage : require
#endif
layout(local_size_x = 256) in;
layout(constant_id = 0) const bool HAS_BIAS = false;
layout(binding = 0) readonly buffer Partial { float partial[]; };
layout(binding = 2) readonly buffer Bias { float bias[]; };
layout(binding = 3) writeonly buffer C { float c[]; };
#ifdef STORAGE16
layout(binding = 3) writeonly buffer C16 { uint16_t c16[]; };
#endif
layout(push_constant) uniform Params {
    uint M;
    uint N;
    uint batches;
    uint splits;
    uint offsetPartial;
    uint offsetBias;
    uint offsetC;
    float scaleW;  // 1: the parts are scaled already
    // The epilogue's, as in matmul_params.glsl.
    uint activationStart;
    uint offsetResidual;
    uint residualRowStride;
    uint residualBatchStride;
    uint offsetGate;
    uint gateRows;
    uint gateStride;
} p;
#include "matmul_epilogue.glsl"
#ifdef STORAGE16
#include "storage16.glsl"
layout(constant_id = 13) const uint C_STORAGE = 0;  // as in matmul_storage.glsl
#endif

void main() {
    uint i = gl_GlobalInvocationID.x, count = p.M * p.N * p.batches;
    if (i >= count) return;
    float sum = 0.0;
    for (uint s = 0; s < p.splits; s++) sum += partial[p.offsetPartial + s * count + i];
    uint n = i % p.N, row = i / p.N;
    float v = finished(row / p.M, row % p.M, n, sum);
#ifdef STORAGE16
    store16(c, C_STORAGE, p.offsetC + i, v);
#else
    c[p.offsetC + i] = v;
#endif
}
