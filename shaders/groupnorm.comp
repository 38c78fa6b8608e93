#version 450
// Group norm over a contiguous [N, C, S] tensor (S = product of spatial dims), one workgroup per
// (n, group): its 64 invocations stride over the group's C/groups·S values and combine their
// sums in shared memory (mean first, then squared deviations, as PyTorch's two-pass variance).
// A group of a VAE activation holds millions of values, far too many for one invocation.
// Optional per-channel affine and SiLU (the activation that follows every group norm of the
// autoencoders and UNets, fused to save a pass over the tensor). The output is contiguous NCHW, or
// NHWC with CHANNELS_LAST for convolutions that read channels-last.
// With TEXELS (CPU devices) the input is read 4 values per texel fetch, a gather on llvmpipe,
// where storage-buffer loads are per-lane loops; the host checks that S and the offset are
// multiples of 4. With STATISTICS the shader only writes each channel's (scale, shift), its norm and
// affine as one multiply-add, for groupnorm_apply.comp to store a channels-last result pixel by pixel.
layout(local_size_x = 64) in;
layout(constant_id = 0) const bool AFFINE = false;
layout(constant_id = 1) const bool SILU = false;
layout(constant_id = 2) const bool CHANNELS_LAST = false;
layout(constant_id = 3) const bool STATISTICS = false;

layout(binding = 0) readonly buffer In { float x[]; };
layout(binding = 1) readonly buffer Weight { float weight[]; };
layout(binding = 2) readonly buffer Bias { float bias[]; };
layout(binding = 3) writeonly buffer Out { float o[]; };
#if defined(TEXELS)
layout(binding = 4) uniform samplerBuffer xTexels;
#endif
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

// Channel c's normalisation as one multiply-add: (scale, shift).
vec2 channelAffine(uint c, float mean, float inv) {
    float scale = inv * (AFFINE ? weight[p.offsetWeight + c] : 1.0);
    return vec2(scale, (AFFINE ? bias[p.offsetBias + c] : 0.0) - mean * scale);
}

vec4 activate(vec4 y) { return SILU ? y / (1.0 + exp(-y)) : y; }

void main() {
    uint task = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    // The same for the whole workgroup, so the barriers below stay in uniform control flow.
    if (task >= p.batch * p.groups) return;
    uint lane = gl_LocalInvocationID.x;
    uint perGroup = p.channels / p.groups;
    uint count = perGroup * p.spatial;
    uint start = p.offsetIn + task * count;  // groups are contiguous runs in [N, C, S]
#if defined(TEXELS)
    uint start4 = start / 4, count4 = count / 4;
    vec4 sum4 = vec4(0.0);
    for (uint j = lane; j < count4; j += 64) sum4 += texelFetch(xTexels, int(start4 + j));
    float mean = workgroupSum(sum4.x + sum4.y + sum4.z + sum4.w) / float(count);
    vec4 squares4 = vec4(0.0);
    for (uint j = lane; j < count4; j += 64) {
        vec4 d = texelFetch(xTexels, int(start4 + j)) - mean;
        squares4 += d * d;
    }
    float squares = squares4.x + squares4.y + squares4.z + squares4.w;
#else
    float sum = 0.0;
    for (uint j = lane; j < count; j += 64) sum += x[start + j];
    float mean = workgroupSum(sum) / float(count);
    float squares = 0.0;
    for (uint j = lane; j < count; j += 64) {
        float d = x[start + j] - mean;
        squares += d * d;
    }
#endif
    float inv = inversesqrt(workgroupSum(squares) / float(count) + p.eps);
    uint n = task / p.groups;
    uint channel0 = (task % p.groups) * perGroup;
    if (STATISTICS) {
        for (uint k = lane; k < perGroup; k += 64) {
            vec2 affine = channelAffine(channel0 + k, mean, inv);
            uint at = p.offsetOut + 2 * (n * p.channels + channel0 + k);
            o[at] = affine.x;
            o[at + 1] = affine.y;
        }
        return;
    }
    // Channel by channel: integer division is a scalar loop on llvmpipe, so the inner loops have none.
    uint outChannelStride = CHANNELS_LAST ? 1 : p.spatial, outPixelStride = CHANNELS_LAST ? p.channels : 1;
    for (uint k = 0; k < perGroup; k++) {
        uint c = channel0 + k;
        vec2 affine = channelAffine(c, mean, inv);
        uint out0 = p.offsetOut + n * p.channels * p.spatial + c * outChannelStride;
#if defined(TEXELS)
        uint in4 = start4 + k * p.spatial / 4;
        for (uint j = lane; j < p.spatial / 4; j += 64) {
            vec4 y = activate(texelFetch(xTexels, int(in4 + j)) * affine.x + affine.y);
            uint index = out0 + 4 * j * outPixelStride;
            o[index] = y.x;
            o[index + outPixelStride] = y.y;
            o[index + 2 * outPixelStride] = y.z;
            o[index + 3 * outPixelStride] = y.w;
        }
#else
        uint in0 = start + k * p.spatial;
        for (uint j = lane; j < p.spatial; j += 64) o[out0 + j * outPixelStride] = activate(vec4(x[in0 + j] * affine.x + affine.y)).x;
#endif
    }
}
