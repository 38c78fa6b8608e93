#version 450
// C[i] = Σ_s partial[s · count + i] (+ bias[i % N]): completes a cooperative matmul whose K was
// split (matmul_coopmat.comp with SPLITS > 1 writes the scaled partial products, without bias).
layout(local_size_x = 256) in;
layout(constant_id = 0) const bool HAS_BIAS = false;
layout(binding = 0) readonly buffer Partial { float partial[]; };
layout(binding = 1) readonly buffer Bias { float bias[]; };
layout(binding = 2) writeonly buffer C { float c[]; };
layout(push_constant) uniform Params {
    uint count;  // elements of C
    uint N;
    uint splits;
    uint offsetPartial;
    uint offsetBias;
    uint offsetC;
} p;

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= p.count) return;
    float sum = HAS_BIAS ? bias[p.offsetBias + i % p.N] : 0.0;
    for (uint s = 0; s < p.splits; s++) sum += partial[p.offsetPartial + s * p.count + i];
    c[p.offsetC + i] = sum;
}
