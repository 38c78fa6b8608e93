#version 450
// Group norm over a contiguous [N, C, S] tensor (S = product of spatial dims), one invocation
// per (n, group); optional per-channel affine. Output is contiguous.
layout(local_size_x = 64) in;
layout(constant_id = 0) const bool AFFINE = false;

layout(binding = 0) readonly buffer In { float x[]; };
layout(binding = 1) readonly buffer Weight { float weight[]; };
layout(binding = 2) readonly buffer Bias { float bias[]; };
layout(binding = 3) writeonly buffer Out { float o[]; };
layout(push_constant) uniform Params {
    uint batch;
    uint channels;
    uint spatial;
    uint groups;
    uint offsetIn;
    uint offsetWeight;
    uint offsetBias;
    uint offsetOut;
    float eps;
} p;

void main() {
    uint task = gl_GlobalInvocationID.x;
    if (task >= p.batch * p.groups) return;
    uint perGroup = p.channels / p.groups;
    uint count = perGroup * p.spatial;
    uint start = task * count;  // groups are contiguous runs in [N, C, S]
    float mean = 0.0;
    for (uint j = 0; j < count; j++) mean += x[p.offsetIn + start + j];
    mean /= float(count);
    float sq = 0.0;
    for (uint j = 0; j < count; j++) {
        float d = x[p.offsetIn + start + j] - mean;
        sq += d * d;
    }
    float inv = inversesqrt(sq / float(count) + p.eps);
    uint channel0 = (task % p.groups) * perGroup;
    for (uint c = 0; c < perGroup; c++) {
        float w = AFFINE ? weight[p.offsetWeight + channel0 + c] : 1.0;
        float b = AFFINE ? bias[p.offsetBias + channel0 + c] : 0.0;
        uint rowStart = start + c * p.spatial;
        for (uint s = 0; s < p.spatial; s++) {
            o[p.offsetOut + rowStart + s] = (x[p.offsetIn + rowStart + s] - mean) * inv * w + b;
        }
    }
}
