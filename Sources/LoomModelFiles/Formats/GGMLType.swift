/// ggml's tensor type ids, by name, so a GGUF with a type Loom cannot read is rejected naming the type.
enum GGMLType {
    static let names: [UInt32: String] = [
        0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
        10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K",
        16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS",
        24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M", 30: "BF16",
        31: "Q4_0_4_4", 32: "Q4_0_4_8", 33: "Q4_0_8_8", 34: "TQ1_0", 35: "TQ2_0",
        36: "IQ4_NL_4_4", 37: "IQ4_NL_4_8", 38: "IQ4_NL_8_8", 39: "MXFP4",
    ]

    /// The types Loom reads.
    static let supported: [UInt32: TensorDataType] = [
        0: .float32, 1: .float16, 2: .q4_0, 3: .q4_1, 6: .q5_0, 7: .q5_1, 8: .q8_0,
        10: .q2_K, 11: .q3_K, 12: .q4_K, 13: .q5_K, 14: .q6_K,
        24: .int8, 25: .int16, 26: .int32, 27: .int64, 28: .float64, 30: .bfloat16,
    ]

    static func name(of id: UInt32) -> String {
        names[id] ?? "unknown type \(id)"
    }
}
