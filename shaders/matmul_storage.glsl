// How the matmul kernels read A and write C in their storage dtype: the including shader declares
// a[]/a16[] at binding 0 and c[]/c16[] at binding 3.
#include "storage16.glsl"
layout(constant_id = 12) const uint A_STORAGE = 0;  // storage16.glsl codes
layout(constant_id = 13) const uint C_STORAGE = 0;

float loadA(uint i) { return A_STORAGE == 0u ? a[i] : decode16(uint(a16[i]), A_STORAGE); }

void storeC(uint i, float v) {
    if (C_STORAGE == 0u) {
        c[i] = v;
    } else {
        c16[i] = uint16_t(encode16(v, C_STORAGE));
    }
}
