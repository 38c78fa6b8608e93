// Activation functions shared by unary.comp and the matmul epilogue, so a fused activation
// matches the separate one bit for bit.

// erf via Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): GLSL has no erf.
float erfApprox(float v) {
    float t = 1.0 / (1.0 + 0.3275911 * abs(v));
    float y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-v * v);
    return sign(v) * y;
}

float silu(float v) { return v / (1.0 + exp(-v)); }

float quickGelu(float v) { return v / (1.0 + exp(-1.702 * v)); }

float geluErf(float v) { return 0.5 * v * (1.0 + erfApprox(v * 0.70710678118654752)); }

float geluTanh(float v) {
    // tanh(u) = 1 - 2/(exp(2u)+1) stays finite for large |u|, unlike sinh/cosh forms.
    float u = 0.7978845608028654 * (v + 0.044715 * v * v * v);
    return 0.5 * v * (2.0 - 2.0 / (exp(2.0 * u) + 1.0));
}
