import LoomModelFiles
import LoomVulkan

/// How an encode or decode splits its input.
public enum AutoencoderTiling: Sendable, Equatable {
    /// One pass per batch chunk when it fits the device and the memory budget, else tiles; a pass
    /// that runs out of device memory all the same is retried in tiles.
    case automatic
    /// One pass, whatever it costs (fails with `VulkanError.tensorTooLarge` past the device limit).
    case never
    case tiles(TileLayout)
}

/// Overlapping tiles blended as ComfyUI's `tiled_scale` does: each tile's output is weighted by a
/// ramp `(t + 1) / feather` over the `overlap` border on every side, and the sums are divided by
/// the summed weights.
public struct TileLayout: Sendable, Equatable {
    /// Tile size in input units: latent cells when decoding, pixels when encoding.
    public var width: Int
    public var height: Int
    public var overlap: Int
    /// ComfyUI's tiled VAE runs three tilings, `w/2 × 2h`, `2w × h/2` and `w × h`, and averages
    /// them so that no seam lies in the same place twice; false runs `w × h` alone.
    public var averagesThreeTilings: Bool

    public init(width: Int, height: Int, overlap: Int, averagesThreeTilings: Bool = true) {
        self.width = width
        self.height = height
        self.overlap = overlap
        self.averagesThreeTilings = averagesThreeTilings
    }

    /// ComfyUI's fallback when a decode runs out of memory (`decode_tiled_` defaults), in latent cells.
    public static let decodeDefault = TileLayout(width: 64, height: 64, overlap: 16)
    /// ComfyUI's fallback for encoding (`encode_tiled_` defaults), in pixels.
    public static let encodeDefault = TileLayout(width: 512, height: 512, overlap: 64)

    /// The tilings one call runs, as (width, height) pairs.
    var passes: [(width: Int, height: Int)] {
        averagesThreeTilings
            ? [(max(1, width / 2), height * 2), (width * 2, max(1, height / 2)), (width, height)]
            : [(width, height)]
    }

    /// Tile starts along one axis of `size`, as `tiled_scale` places them: every `tile − overlap`
    /// from 0, the last pulled back so it ends at the edge.
    static func starts(size: Int, tile: Int, overlap: Int) -> [Int] {
        guard size > tile else { return [0] }
        let step = max(1, tile - overlap)
        return stride(from: 0, to: size - overlap, by: step).map { max(0, min(size - overlap, $0)) }
    }
}

/// How an input length maps to the output's: the decoder multiplies, the encoder divides.
enum ResolutionScale {
    case up(Int)
    case down(Int)

    func callAsFunction(_ length: Int) -> Int {
        switch self {
        case .up(let factor): length * factor
        // Python's round of an exact multiple; tiled encodes only see multiples of the factor.
        case .down(let factor): (length + factor / 2) / factor
        }
    }
}

extension Autoencoder {
    /// Bytes of the largest activation and an estimate of the live working set (the recorder holds
    /// every tensor of half a res block until it submits; eight of the largest bound it, where
    /// about five and a half were measured) for one batch item of `height` × `width` input cells.
    static func memoryEstimate(_ parameters: AutoencoderParameters, encoding: Bool, height: Int, width: Int)
        -> (largestTensor: Int, workingSet: Int)
    {
        let widths = parameters.channelMultipliers.map { $0 * parameters.baseChannels }
        let levels = widths.count
        var activations: [(channels: Int, pixels: Int)] = []
        if encoding {
            var (h, w) = (height, width)
            activations.append((parameters.imageChannels, h * w))
            var previous = widths[0]
            for (index, channels) in widths.enumerated() {
                activations.append((max(previous, channels), h * w))
                previous = channels
                if index < levels - 1 { (h, w) = ((h - 1) / 2 + 1, (w - 1) / 2 + 1) }
            }
            activations.append((2 * parameters.latentChannels, h * w))
        } else {
            let pixels = height * width
            activations.append((widths[levels - 1], pixels))
            for index in (0..<levels).reversed() {
                let here = pixels << (2 * (levels - 1 - index))
                activations.append((max(widths[min(index + 1, levels - 1)], widths[index]), here))
                if index > 0 { activations.append((widths[index], here * 4)) }
            }
            activations.append((parameters.imageChannels, pixels << (2 * (levels - 1))))
        }
        let largest = activations.map { $0.channels * $0.pixels }.max()! * MemoryLayout<Float>.size
        return (largest, 8 * largest)
    }

    /// Estimated tensor bytes of one untiled decode of an `height` × `width` latent (one batch item).
    public func estimatedWorkingSet(decodingHeight height: Int, width: Int) -> Int {
        Self.memoryEstimate(parameters, encoding: false, height: height, width: width).workingSet
    }

    /// Estimated tensor bytes of one untiled encode of an `height` × `width` image (one batch item).
    public func estimatedWorkingSet(encodingHeight height: Int, width: Int) -> Int {
        Self.memoryEstimate(parameters, encoding: true, height: height, width: width).workingSet
    }

    /// The tiles an automatic decode of an `height` × `width` latent uses; nil when one pass fits.
    public func plannedDecodeTiling(height: Int, width: Int) throws -> TileLayout? {
        try Self.plannedTiling(parameters, encoding: false, height: height, width: width,
                               tensorLimit: context.device.maxStorageBufferRange, memoryBudget: memoryBudget)
    }

    /// The tiles an automatic encode of an `height` × `width` image uses; nil when one pass fits.
    public func plannedEncodeTiling(height: Int, width: Int) throws -> TileLayout? {
        try Self.plannedTiling(parameters, encoding: true, height: height, width: width,
                               tensorLimit: context.device.maxStorageBufferRange, memoryBudget: memoryBudget)
    }

    /// The automatic choice for an AE of `parameters` on a device binding at most `tensorLimit`
    /// bytes per tensor: nil when one pass over one batch item fits both the limit and
    /// `memoryBudget`, else ComfyUI's default tiles (decode 64 cells, overlap 16; encode 512
    /// pixels, overlap 64), halved until every tile of the three tilings fits.
    public static func plannedTiling(_ parameters: AutoencoderParameters, encoding: Bool, height: Int, width: Int,
                                     tensorLimit: Int, memoryBudget: Int) throws -> TileLayout? {
        func fits(_ height: Int, _ width: Int) -> Bool {
            let estimate = memoryEstimate(parameters, encoding: encoding, height: height, width: width)
            return estimate.largestTensor <= tensorLimit && estimate.workingSet <= memoryBudget
        }
        if fits(height, width) { return nil }
        var layout = encoding ? TileLayout.encodeDefault : TileLayout.decodeDefault
        // Two latent cells of pixels when encoding, four cells when decoding.
        let smallest = encoding ? 1 << parameters.channelMultipliers.count : 4
        while !layout.passes.allSatisfy({ fits(min(height, $0.height), min(width, $0.width)) }) {
            guard layout.width / 2 >= smallest else {
                throw AutoencoderError.tooLarge("even \(layout.width)×\(layout.height) tiles of a \(width)×\(height) input exceed the device's \(tensorLimit)-byte tensor limit or the memory budget of \(memoryBudget) bytes")
            }
            layout = TileLayout(width: layout.width / 2, height: layout.height / 2, overlap: layout.overlap / 2)
        }
        return layout
    }

    /// Whether one pass over `items` batch items of this size fits the device and the budget.
    func fits(encoding: Bool, height: Int, width: Int, items: Int) -> Bool {
        let estimate = Self.memoryEstimate(parameters, encoding: encoding, height: height, width: width)
        return estimate.largestTensor * items <= context.device.maxStorageBufferRange && estimate.workingSet * items <= memoryBudget
    }

    /// The tiling a call resolves to: nil for untiled passes.
    func resolvedLayout(_ tiling: AutoencoderTiling, encoding: Bool, height: Int, width: Int) throws -> TileLayout? {
        switch tiling {
        case .never: return nil
        case .tiles(let layout):
            guard layout.width > 0, layout.height > 0, layout.overlap >= 0 else {
                throw AutoencoderError.badInput("tiles of \(layout.width)×\(layout.height) with overlap \(layout.overlap) are not a valid tiling")
            }
            return layout
        case .automatic:
            return encoding ? try plannedEncodeTiling(height: height, width: width) : try plannedDecodeTiling(height: height, width: width)
        }
    }

    /// Runs `body` over the batch, untiled (in chunks that fit) or tile by tile. An automatic
    /// untiled pass that runs out of device memory is retried in tiles, as ComfyUI retries, with
    /// smaller tiles for as long as those run out too.
    func run(_ input: HostTensor, tiling: AutoencoderTiling, scale: ResolutionScale, outputChannels: Int,
             progress: (Int, Int) throws -> Void,
             _ body: (Tensor, CommandRecorder) throws(VulkanError) -> Tensor) throws -> HostTensor {
        let (batch, height, width) = (input.shape[0], input.shape[2], input.shape[3])
        let encoding = if case .down = scale { true } else { false }
        if let layout = try resolvedLayout(tiling, encoding: encoding, height: height, width: width) {
            return try runTiled(input, layout, scale: scale, outputChannels: outputChannels, progress: progress, body)
        }
        let perPass = tiling == .never ? batch
            : max(1, (1...batch).last { fits(encoding: encoding, height: height, width: width, items: $0) } ?? 1)
        do {
            var outputs: [HostTensor] = []
            for start in stride(from: 0, to: batch, by: perPass) {
                try progress(start, batch)
                outputs.append(try forward(input.items(start..<min(batch, start + perPass)), body))
            }
            try progress(batch, batch)
            return HostTensor(concatenatingItems: outputs)
        } catch let error as VulkanError where tiling == .automatic && error.isExhaustion {
            var layout = encoding ? TileLayout.encodeDefault : TileLayout.decodeDefault
            let smallest = encoding ? 2 * downscaleFactor : 4
            while true {
                do {
                    return try runTiled(input, layout, scale: scale, outputChannels: outputChannels, progress: progress, body)
                } catch let error as VulkanError where error.isExhaustion && layout.width / 2 >= smallest {
                    layout = TileLayout(width: layout.width / 2, height: layout.height / 2, overlap: layout.overlap / 2)
                }
            }
        }
    }

    private func runTiled(_ input: HostTensor, _ layout: TileLayout, scale: ResolutionScale, outputChannels: Int,
                          progress: (Int, Int) throws -> Void,
                          _ body: (Tensor, CommandRecorder) throws(VulkanError) -> Tensor) throws -> HostTensor {
        let (batch, height, width) = (input.shape[0], input.shape[2], input.shape[3])
        let encoding = if case .down = scale { true } else { false }
        if encoding, height % downscaleFactor != 0 || width % downscaleFactor != 0 {
            throw AutoencoderError.badInput("tiled encoding needs a size that is a multiple of \(downscaleFactor), not \(width)×\(height)")
        }
        // Each tiling with the overlap it can take. Tiles must advance: ComfyUI's inputs keep the
        // overlap at most a quarter of the tile, so its half-width tilings stay valid; larger
        // overlaps are cut to half the tile. Pixel tiles start and end on latent cells, or their
        // latents would not line up.
        let cell = encoding ? downscaleFactor : 1
        let passes = layout.passes.map { pass in
            let (tileWidth, tileHeight) = (max(cell, pass.width / cell * cell), max(cell, pass.height / cell * cell))
            return (tile: (width: tileWidth, height: tileHeight), overlap: min(layout.overlap, min(tileWidth, tileHeight) / 2) / cell * cell)
        }
        let tilesPerItem = passes.reduce(0) { count, pass in
            count + TileLayout.starts(size: height, tile: pass.tile.height, overlap: pass.overlap).count
                * TileLayout.starts(size: width, tile: pass.tile.width, overlap: pass.overlap).count
        }
        var done = 0
        try progress(done, tilesPerItem * batch)
        var outputs: [HostTensor] = []
        for item in 0..<batch {
            let single = input.items(item..<(item + 1))
            var sum = HostTensor(zeros: [1, outputChannels, scale(height), scale(width)])
            for pass in passes {
                let blended = try blend(single, tile: pass.tile, overlap: pass.overlap, scale: scale, outputChannels: outputChannels) {
                    let output = try forward($0, body)
                    done += 1
                    try progress(done, tilesPerItem * batch)
                    return output
                }
                for index in sum.values.indices { sum.values[index] += blended.values[index] }
            }
            let count = Float(passes.count)
            outputs.append(HostTensor(shape: sum.shape, values: sum.values.map { $0 / count }))
        }
        return HostTensor(concatenatingItems: outputs)
    }

    /// One tiling of a single item, ComfyUI's `tiled_scale`.
    private func blend(_ input: HostTensor, tile: (width: Int, height: Int), overlap: Int, scale: ResolutionScale,
                       outputChannels: Int, _ function: (HostTensor) throws -> HostTensor) throws -> HostTensor {
        let (height, width) = (input.shape[2], input.shape[3])
        if height <= tile.height && width <= tile.width { return try function(input) }
        let (outHeight, outWidth) = (scale(height), scale(width))
        var sum = [Float](repeating: 0, count: outputChannels * outHeight * outWidth)
        var weights = [Float](repeating: 0, count: outHeight * outWidth)
        let feather = scale(overlap)
        for y in TileLayout.starts(size: height, tile: tile.height, overlap: overlap) {
            for x in TileLayout.starts(size: width, tile: tile.width, overlap: overlap) {
                let (tileHeight, tileWidth) = (min(tile.height, height - y), min(tile.width, width - x))
                let output = try function(input.cropped(y: y, height: tileHeight, x: x, width: tileWidth))
                let (h, w) = (output.shape[2], output.shape[3])
                let (oy, ox) = (scale(y), scale(x))
                guard output.shape[1] == outputChannels, oy + h <= outHeight, ox + w <= outWidth else {
                    throw AutoencoderError.badInput("a tile at (\(x), \(y)) produced \(output.shape), which does not fit the \(outWidth)×\(outHeight) output")
                }
                let rampY = Self.ramp(length: h, feather: feather), rampX = Self.ramp(length: w, feather: feather)
                for row in 0..<h {
                    for column in 0..<w {
                        let weight = rampY[row] * rampX[column]
                        let target = (oy + row) * outWidth + ox + column
                        weights[target] += weight
                        for channel in 0..<outputChannels {
                            sum[channel * outHeight * outWidth + target] += weight * output.values[(channel * h + row) * w + column]
                        }
                    }
                }
            }
        }
        let plane = outHeight * outWidth
        for index in sum.indices { sum[index] /= weights[index % plane] }
        return HostTensor(shape: [1, outputChannels, outHeight, outWidth], values: sum)
    }

    /// Weights along one axis of a tile: `(t + 1) / feather` for the `feather` cells at each end
    /// (both ramps multiply where they cross), none when the tile is no longer than `feather`.
    static func ramp(length: Int, feather: Int) -> [Float] {
        var ramp = [Float](repeating: 1, count: length)
        guard feather < length else { return ramp }
        for t in 0..<feather {
            let a = Float(t + 1) / Float(feather)
            ramp[t] *= a
            ramp[length - 1 - t] *= a
        }
        return ramp
    }
}

extension HostTensor {
    /// Batch items `range` of an [N, ...] tensor.
    func items(_ range: Range<Int>) -> HostTensor {
        let size = count / shape[0]
        return HostTensor(shape: [range.count] + shape.dropFirst(), values: Array(values[(range.lowerBound * size)..<(range.upperBound * size)]))
    }

    /// Items of equal shape joined along the batch dimension.
    init(concatenatingItems parts: [HostTensor]) {
        self.init(shape: [parts.reduce(0) { $0 + $1.shape[0] }] + parts[0].shape.dropFirst(), values: parts.flatMap(\.values))
    }

    /// The window rows `y..<y+height`, columns `x..<x+width` of an [N, C, H, W] tensor.
    func cropped(y: Int, height: Int, x: Int, width: Int) -> HostTensor {
        let (items, channels, fullHeight, fullWidth) = (shape[0], shape[1], shape[2], shape[3])
        var window = [Float]()
        window.reserveCapacity(items * channels * height * width)
        for plane in 0..<(items * channels) {
            for row in y..<(y + height) {
                let start = (plane * fullHeight + row) * fullWidth + x
                window.append(contentsOf: values[start..<(start + width)])
            }
        }
        return HostTensor(shape: [items, channels, height, width], values: window)
    }
}
