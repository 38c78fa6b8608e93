// How the matmul kernels read A and write C. The including shader declares a[] at binding 0 and
// c[] at binding 3, and with STORAGE16 (the `matmul16_` variants) their 16-bit aliases a16[] and
// c16[]; without it the f32 kernels need no 16-bit storage from the device.
#ifdef STORAGE16
#include "storage16.glsl"
layout(constant_id = 12) const uint A_STORAGE = 0;  // storage16.glsl codes
layout(constant_id = 13) const uint C_STORAGE = 0;

float loadA(uint i) { return load16(a, A_STORAGE, i); }

void storeC(uint i, float v) { store16(c, C_STORAGE, i, v); }
#else
const uint A_STORAGE = 0u;

float loadA(uint i) { return a[i]; }

void storeC(uint i, float v) { c[i] = v; }
#endif
