// Element offset of logical index `i` (row-major over `shape`) under `strides`. The including
// shader declares the specialization constant RANK: how many trailing dimensions are real after
// the host merged contiguous ones. Integer division is scalarised per lane on CPU devices, so
// fewer dimensions mean fewer of them.
int stridedOffset(uint i, uvec4 shape, ivec4 strides) {
    if (RANK <= 1) return int(i) * strides.w;
    uint i3 = i % shape.w; i /= shape.w;
    if (RANK == 2) return int(i) * strides.z + int(i3) * strides.w;
    uint i2 = i % shape.z; i /= shape.z;
    if (RANK == 3) return int(i) * strides.y + int(i2) * strides.z + int(i3) * strides.w;
    uint i1 = i % shape.y; i /= shape.y;
    return int(i) * strides.x + int(i1) * strides.y + int(i2) * strides.z + int(i3) * strides.w;
}
