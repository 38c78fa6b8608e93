// Shared helpers. Tensors are addressed in elements; shapes and strides arrive as rank-4
// push constants with leading dimensions padded by 1 (stride 0 means broadcast).

// Invocation index for dispatches that spread work over X and Y to stay under
// maxComputeWorkGroupCount[0].
uint linearInvocation(uint localSize) {
    return (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * localSize + gl_LocalInvocationID.x;
}

// Offset of row `r` when every dimension but the last is a row index.
int rowOffset(uint r, uvec4 shape, ivec4 strides) {
    uint r2 = r % shape.z; r /= shape.z;
    uint r1 = r % shape.y; r /= shape.y;
    return int(r) * strides.x + int(r1) * strides.y + int(r2) * strides.z;
}
