import LoomImaging

/// How kaibioinfo's ReduxAdvanced (ComfyUI_AdvancedRefluxControl) brings an image and its optional mask to the
/// vision model's square size before encoding, with the pack's arithmetic: Python's rounding of the scaled sides,
/// floor division for offsets, antialiased bicubic for the image and plain bicubic for the mask.
enum ReduxImageFraming: String, CaseIterable {
    /// Scale the short side to the size and crop the middle (what CLIPVisionEncode does).
    case centerCrop = "center crop (square)"
    /// Scale the long side to the size and pad with black; the mask (all ones when none is given) is padded with 0,
    /// so the padding's tokens are dropped.
    case keepAspectRatio = "keep aspect ratio"
    /// Crop around the mask's bounding box grown by a margin (a fraction of the image's sides) to a square of at
    /// least the size where the image allows, then as `keepAspectRatio`.
    case autocrop = "autocrop with mask"

    /// The most pixels the centre crop's resize may produce before cropping (as CLIPVisionEncode allows).
    static let largestResize = 1 << 26

    /// The framed images, `size` × `size`, and their mask (nil only for a centre crop without one).
    func framed(_ image: Image, mask: Mask?, margin: Double, size: Int) throws(ReduxFramingError) -> (image: Image, mask: Mask?) {
        guard image.batchCount > 0, image.height > 0, image.width > 0 else {
            throw ReduxFramingError("image: an empty image (\(image.batchCount) × \(image.height) × \(image.width)) cannot be framed")
        }
        if let mask, mask.batchCount == 0 || mask.height == 0 || mask.width == 0 {
            throw ReduxFramingError("mask: an empty mask (\(mask.batchCount) × \(mask.height) × \(mask.width)) cannot be framed")
        }
        switch self {
        case .centerCrop:
            let scale = Double(size) / Double(min(image.height, image.width))
            let (width, height) = (Self.pythonRound(Double(image.width) * scale), Self.pythonRound(Double(image.height) * scale))
            guard width * height <= Self.largestResize else {
                throw ReduxFramingError("image: a \(image.width) × \(image.height) image would be resized to \(width) × \(height) before the centre crop; its sides may differ by at most a factor of \(Self.largestResize / (size * size))")
            }
            let (x, y) = ((width - size) / 2, (height - size) / 2)
            let framedMask = mask?.resized(width: width, height: height, method: .bicubic).cropped(x: x, y: y, width: size, height: size)
            return (image.resized(width: width, height: height, method: .bicubicAntialiased).cropped(x: x, y: y, width: size, height: size),
                    framedMask)
        case .keepAspectRatio:
            return Self.letterboxed(image, mask: mask ?? Mask(batchCount: image.batchCount, height: image.height, width: image.width, repeating: 1),
                                    size: size)
        case .autocrop:
            guard let mask else { throw ReduxFramingError("mask: 'autocrop with mask' needs a mask") }
            guard mask.batchCount == 1, mask.height == image.height, mask.width == image.width else {
                throw ReduxFramingError("mask: 'autocrop with mask' takes one mask of the image's size \(image.width) × \(image.height), got \(mask.batchCount) of \(mask.width) × \(mask.height)")
            }
            let box = try Self.boundingBox(of: mask, margin: margin, size: size)
            return Self.letterboxed(image.cropped(x: box.x0, y: box.y0, width: box.x1 - box.x0, height: box.y1 - box.y0),
                                    mask: mask.cropped(x: box.x0, y: box.y0, width: box.x1 - box.x0, height: box.y1 - box.y0), size: size)
        }
    }

    /// The long side scaled to `size`, centred on a black square; the mask likewise on 0.
    private static func letterboxed(_ image: Image, mask: Mask, size: Int) -> (image: Image, mask: Mask?) {
        let scale = Double(size) / Double(max(image.height, image.width))
        let (width, height) = (pythonRound(Double(image.width) * scale), pythonRound(Double(image.height) * scale))
        let (left, top) = ((size - width) / 2, (size - height) / 2)
        let (right, bottom) = (size - width - left, size - height - top)
        let framed = image.resized(width: width, height: height, method: .bicubicAntialiased)
            .padded(left: left, right: right, top: top, bottom: bottom, value: 0)
        let maskImage = mask.resized(width: width, height: height, method: .bicubic).image(channels: 1)
            .padded(left: left, right: right, top: top, bottom: bottom, value: 0)
        return (framed, Mask(batchCount: maskImage.batchCount, height: size, width: size, values: maskImage.pixels))
    }

    /// The pack's crop box [x0, x1) × [y0, y1): the non-zero pixels' extremes (inclusive) moved out by
    /// ⌈margin · side⌉ and clamped to the image, then widened toward a square of max(width, height, size) with the
    /// spare split as evenly as the image's edges allow.
    static func boundingBox(of mask: Mask, margin: Double, size: Int) throws(ReduxFramingError) -> (x0: Int, y0: Int, x1: Int, y1: Int) {
        let (width, height) = (mask.width, mask.height)
        var (xMin, yMin, xMax, yMax) = (Int.max, Int.max, -1, -1)
        for y in 0..<height {
            for x in 0..<width where mask[0, y, x] != 0 {
                (xMin, xMax, yMin, yMax) = (min(xMin, x), max(xMax, x), min(yMin, y), max(yMax, y))
            }
        }
        guard xMax >= 0 else { throw ReduxFramingError("mask: 'autocrop with mask' needs a mask with at least one non-zero pixel") }
        let marginX = Int((margin * Double(width)).rounded(.up)), marginY = Int((margin * Double(height)).rounded(.up))
        xMin = max(0, xMin - marginX)
        yMin = max(0, yMin - marginY)
        xMax = min(width, xMax + marginX)
        yMax = min(height, yMax + marginY)
        let edge = max(xMax - xMin, yMax - yMin, size)
        func widen(_ low: inout Int, _ high: inout Int, limit: Int) {
            guard high - low < edge else { return }
            let delta = edge - (high - low)
            let (before, after) = (low, limit - high)
            var grow = min(delta / 2, before)
            let growAfter = min(delta - grow, after)
            grow += min(delta - (grow + growAfter), before - grow)
            low -= grow
            high += growAfter
        }
        widen(&xMin, &xMax, limit: width)
        widen(&yMin, &yMax, limit: height)
        return (max(0, xMin), max(0, yMin), min(width, xMax), min(height, yMax))
    }

    /// Python's round() of a side length: half to even.
    static func pythonRound(_ value: Double) -> Int { Int(value.rounded(.toNearestOrEven)) }
}

/// A ReduxAdvanced input the framing cannot use; the message starts with the input's name.
struct ReduxFramingError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
