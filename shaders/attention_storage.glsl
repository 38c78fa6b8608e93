// How the attention kernels' _16 variants (STORAGE16) read Q, K and V and write O in their storage
// dtype: the including shader declares q[]/q16[], k[]/k16[], v[]/v16[] and o[]/o16[] at bindings 0,
// 1, 2 and 4 and the storage16.glsl codes Q_STORAGE, K_STORAGE, V_STORAGE and O_STORAGE. The
// additive bias stays f32.
#include "storage16.glsl"

float loadQ(uint i) { return load16(q, Q_STORAGE, i); }
float loadK1(uint i) { return load16(k, K_STORAGE, i); }
float loadV1(uint i) { return load16(v, V_STORAGE, i); }

void storeO(uint i, float value) { store16(o, O_STORAGE, i, value); }
