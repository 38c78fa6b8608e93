#version 450
// Group norm over a contiguous [N, C, S] tensor (S = product of spatial dims), one workgroup per
// (n, group): its 64 invocations stride over the group's C/groups·S values and combine their
// sums in shared memory (mean first, then squared deviations, as PyTorch's two-pass variance).
// A group of a VAE activation holds millions of values, far too many for one invocation.
// Optional per-channel affine. Output is contiguous.
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

shared float partial[64];

// The workgroup's total of `value`; every invocation gets it.
float workgroupSum(float value) {
    uint lane = gl_LocalInvocationID.x;
    partial[lane] = value;
    barrier();
    for (uint width = 32; width > 0; width >>= 1) {
        if (lane < width) partial[lane] += partial[lane + width];
        barrier();
    }
    float total = partial[0];
    barrier();  // the next sum reuses `partial`
    return total;
}

void main() {
    uint task = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    // The same for the whole workgroup, so the barriers below stay in uniform control flow.
    if (task >= p.batch * p.groups) return;
    uint lane = gl_LocalInvocationID.x;
    uint perGroup = p.channels / p.groups;
    uint count = perGroup * p.spatial;
    uint start = p.offsetIn + task * count;  // groups are contiguous runs in [N, C, S]
    float sum = 0.0;
    for (uint j = lane; j < count; j += 64) sum += x[start + j];
    float mean = workgroupSum(sum) / float(count);
    float squares = 0.0;
    for (uint j = lane; j < count; j += 64) {
        float d = x[start + j] - mean;
        squares += d * d;
    }
    float inv = inversesqrt(workgroupSum(squares) / float(count) + p.eps);
    uint channel0 = (task % p.groups) * perGroup;
    uint out0 = p.offsetOut + task * count;
    for (uint j = lane; j < count; j += 64) {
        uint c = channel0 + j / p.spatial;
        float w = AFFINE ? weight[p.offsetWeight + c] : 1.0;
        float b = AFFINE ? bias[p.offsetBias + c] : 0.0;
        o[out0 + j] = (x[start + j] - mean) * inv * w + b;
    }
}
