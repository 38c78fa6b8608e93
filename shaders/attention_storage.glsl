// How the attention kernels' _16 variants (STORAGE16) read Q, K and V and write O in their storage
// dtype: the including shader declares q[]/q16[], k[]/k16[], v[]/v16[] and o[]/o16[] at bindings 0,
// 1, 2 and 4 and the storage16.glsl codes Q_STORAGE, K_STORAGE, V_STORAGE and O_STORAGE. The
// additive bias stays f32.
#include "storage16.glsl"

float loadQ(uint i) { return Q_STORAGE == 0u ? q[i] : decode16(uint(q16[i]), Q_STORAGE); }
float loadK1(uint i) { return K_STORAGE == 0u ? k[i] : decode16(uint(k16[i]), K_STORAGE); }
float loadV1(uint i) { return V_STORAGE == 0u ? v[i] : decode16(uint(v16[i]), V_STORAGE); }

void storeO(uint i, float value) {
    if (O_STORAGE == 0u) {
        o[i] = value;
    } else {
        o16[i] = uint16_t(encode16(value, O_STORAGE));
    }
}
