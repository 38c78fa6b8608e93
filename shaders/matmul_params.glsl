// The push constants of matmul.comp and matmul_coopmat.comp: one host dispatch serves both.
layout(push_constant) uniform Params {
    uint M;
    uint N;
    uint K;
    uint rowStrideA;
    uint batchStrideA;
    uint offsetA;
    uint batchStrideW;
    uint offsetW;
    uint offsetBias;
    uint offsetC;
    float scaleW;
    uint activationStart;
    uint offsetResidual;
    uint residualRowStride;
    uint residualBatchStride;
    uint offsetGate;
    uint gateRows;    // rows of C per gate row (tokens per sample)
    uint gateStride;  // between gate rows
} p;
