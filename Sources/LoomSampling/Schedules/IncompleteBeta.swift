import Foundation

/// The regularised incomplete beta function and its inverse (the beta distribution's CDF and
/// quantile), in double precision, for the beta scheduler.
enum IncompleteBeta {
    /// I_x(a, b) by Lentz's evaluation of the continued fraction, on the side of the mean where it
    /// converges fast.
    static func regularized(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * continuedFraction(x, a: a, b: b) / a
        }
        return 1 - exp(logFront) * continuedFraction(1 - x, a: b, b: a) / b
    }

    /// x with I_x(a, b) = p: Newton steps on the CDF, kept inside a shrinking bracket and replaced
    /// by bisection whenever they would leave it (the density is unbounded at 0 and 1 for a, b < 1).
    /// Above the median it solves the mirrored problem, I_(1−x)(b, a) = 1 − p, so that the tail
    /// is resolved from a small probability rather than from 1 minus a small one.
    static func inverse(_ p: Double, a: Double, b: Double) -> Double {
        if p <= 0 { return 0 }
        if p >= 1 { return 1 }
        if a == b && p == 0.5 { return 0.5 }
        if p > 0.5 { return 1 - inverse(1 - p, a: b, b: a) }
        var low = 0.0, high = 1.0
        var x = 0.5
        let logNorm = lgamma(a) + lgamma(b) - lgamma(a + b)
        for _ in 0..<2000 {
            let error = regularized(x, a: a, b: b) - p
            if error == 0 { return x }
            if error > 0 { high = x } else { low = x }
            let density = exp((a - 1) * log(x) + (b - 1) * log1p(-x) - logNorm)
            var next = x - error / density
            if !(next > low && next < high) { next = (low + high) / 2 }
            if abs(next - x) <= 2e-16 * next { return next }
            x = next
        }
        return x
    }

    private static func continuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var result = d
        for m in 1...500 {
            let m = Double(m)
            let evenTerm = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + evenTerm * d
            if abs(d) < tiny { d = tiny }
            c = 1 + evenTerm / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            result *= d * c
            let oddTerm = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + oddTerm * d
            if abs(d) < tiny { d = tiny }
            c = 1 + oddTerm / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            result *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return result
    }
}
