// Push constants shared by attention.comp and attention_coopmat.comp (AttentionOperator.swift).
layout(push_constant) uniform Params {
    uint heads;
    uint queries;
    uint keys;
    float scale;
    uvec3 qStrides;  // batch, head, token
    uint offsetQ;
    uvec3 kStrides;
    uint offsetK;
    uvec3 vStrides;
    uint offsetV;
    uvec3 oStrides;
    uint offsetO;
    uvec4 biasStrides;  // batch, head, query, key (0 where broadcast)
    uint offsetBias;
    uint keysPerSplit;  // attention_coopmat.comp's SPLIT variant only
} p;
