import Foundation

extension Mask {
    /// PIL's `GaussianBlur(radius)` on the masks as 8-bit grey images, as KJNodes' GrowMaskWithBlur
    /// applies it: values truncated to 8 bits, three passes of PIL's extended box blur per direction
    /// (fixed-point, edges repeated), read back as v / 255.
    public func gaussianBlurredLikePIL(radius: Float) -> Mask {
        var bytes = values.map(UInt8.init(truncatingUnit:))
        if radius != 0 {
            let boxRadius = Self.boxRadius(forGaussian: radius, passes: 3)
            for batch in 0..<batchCount {
                let base = batch * frameSize
                for _ in 0..<3 {
                    for row in 0..<height {
                        Self.boxBlur(&bytes, start: base + row * width, stride: 1, count: width, radius: boxRadius)
                    }
                }
                for _ in 0..<3 {
                    for column in 0..<width {
                        Self.boxBlur(&bytes, start: base + column, stride: width, count: height, radius: boxRadius)
                    }
                }
            }
        }
        return Mask(batchCount: batchCount, height: height, width: width, values: bytes.map { Float($0) / 255 })
    }

    /// The extended box radius whose `passes` repetitions approximate a Gaussian of standard deviation
    /// `radius` (Gwosdek et al.), with PIL's mix of float and double arithmetic.
    static func boxRadius(forGaussian radius: Float, passes: Int) -> Float {
        let sigma2 = radius * radius / Float(passes)
        let length = Float((12.0 * Double(sigma2) + 1.0).squareRoot())
        let whole = Float(((Double(length) - 1.0) / 2.0).rounded(.down))
        var fraction = (2 * whole + 1) * (whole * (whole + 1) - 3 * sigma2)
        fraction /= 6 * (sigma2 - (whole + 1) * (whole + 1))
        return whole + fraction
    }

    /// One pass of PIL's extended box blur along a line: the 2r+1 nearest samples at full weight and the
    /// two beyond at the fractional weight, in 24-bit fixed point; samples past the ends repeat the end.
    static func boxBlur(_ bytes: inout [UInt8], start: Int, stride: Int, count: Int, radius: Float) {
        let whole = Int(radius)
        let weight = UInt32(Float(1 << 24) / (radius * 2 + 1))
        let edgeWeight = (UInt32(1 << 24) &- UInt32(whole * 2 + 1) &* weight) / 2
        let line = (0..<count).map { UInt32(bytes[start + $0 * stride]) }
        func sample(_ index: Int) -> UInt32 { line[min(max(index, 0), count - 1)] }
        var sum = (-whole - 1..<whole).reduce(UInt32(0)) { $0 + sample($1) }
        for x in 0..<count {
            sum = sum + sample(x + whole) - sample(x - whole - 1)
            let bulk = sum &* weight &+ (sample(x - whole - 1) + sample(x + whole + 1)) &* edgeWeight
            bytes[start + x * stride] = UInt8(truncatingIfNeeded: (bulk &+ (1 << 23)) >> 24)
        }
    }

    /// scipy's `binary_fill_holes`: 1 wherever the mask is above 0 or enclosed by such pixels (regions of
    /// zeros not 4-connected to the border).
    public func holesFilled() -> Mask {
        var result = [Float](repeating: 1, count: values.count)
        for batch in 0..<batchCount {
            let base = batch * frameSize
            var outside = [Bool](repeating: false, count: frameSize)
            var stack: [Int] = []
            for y in 0..<height {
                for x in 0..<width where y == 0 || y == height - 1 || x == 0 || x == width - 1 {
                    stack.append(y * width + x)
                }
            }
            while let index = stack.popLast() {
                guard !outside[index], !(values[base + index] > 0) else { continue }
                outside[index] = true
                let (y, x) = (index / width, index % width)
                if x > 0 { stack.append(index - 1) }
                if x < width - 1 { stack.append(index + 1) }
                if y > 0 { stack.append(index - width) }
                if y < height - 1 { stack.append(index + width) }
            }
            for index in 0..<frameSize where outside[index] { result[base + index] = 0 }
        }
        return Mask(batchCount: batchCount, height: height, width: width, values: result)
    }
}
