/// The kernels of matmul.comp and matmul_coopmat.comp (with and without COOPMAT2).
public enum MatmulKernel: Sendable {
    /// Shared-memory tiles of 64 × 64 outputs per workgroup: GPUs.
    case tiled
    /// Texel fetches and large register tiles without shared memory: CPU devices (llvmpipe).
    /// Falls back to `.plain` for activations or weights whose rows are not texel-aligned.
    case texels
    /// Storage-buffer loads, one column per invocation.
    case plain
    /// `VK_KHR_cooperative_matrix` square f16 matrices (16 or 8, as the device reports) with f32
    /// accumulation (tensor cores), weights of every `DType` dequantised to f16 as they are staged;
    /// devices without the extension and builds whose glslang could not compile the variant use
    /// the device kind's kernel instead.
    case cooperative
    /// `VK_NV_cooperative_matrix2`: the cooperative kernel's staging with one flexible-size matrix
    /// per subgroup (its sides multiples of the device's granularity) and the epilogue applied per
    /// element as the accumulator is stored. Falls back to `.cooperative` where the device, the
    /// build or the driver lacks it, and from there like `.cooperative`.
    case cooperative2

    /// True for the kernels on cooperative matrices.
    var isCooperative: Bool { self == .cooperative || self == .cooperative2 }

    /// The kernel a device of `kind` runs best.
    public static func preferred(for kind: PhysicalDeviceInfo.Kind) -> MatmulKernel { kind == .cpu ? .texels : .tiled }
}

/// Workgroup shape and specialization constants of a matmul dispatch.
struct MatmulTuning: Sendable, Hashable {
    /// Invocations per workgroup.
    let workgroupSize: Int
    /// Output rows per invocation (TM): how often each loaded weight is reused.
    let rows: Int
    /// Output columns per invocation (TN, texel kernel): how often each loaded activation is reused.
    let columns: Int
    /// Output tile of one workgroup.
    let rowsPerGroup: Int
    let columnsPerGroup: Int
    /// Cooperative kernels only: side of their square matrices (coopmat2: of the granules its
    /// subgroups' matrices are made of), and values of k staged per step.
    var tile = 0
    var depth = 0

    static let tiled = MatmulTuning(workgroupSize: 256, rows: 4, columns: 4, rowsPerGroup: 64, columnsPerGroup: 64)
    /// Cooperative kernel for an `m` × `n` output in `batch` batches: 2 × 2 subgroups of
    /// `subgroupSize`, each with `rows` × `columns` accumulators of `tile` × `tile`, and 2 · `tile`
    /// values of k per step. 4 × 4 accumulators (128 × 128 blocks on 16 × 16 matrices) reuse each
    /// staged value most, but only pay off while the grid still has about one block per compute
    /// unit of a large GPU (an H100 has 132; Vulkan does not report the count); smaller grids get
    /// 2 × 2 so more units have work. A shape runs only if its shared memory fits `sharedMemory`
    /// bytes (2 × 2 needs at most 14 KiB, under Vulkan's 16 KiB minimum).
    static func cooperative(rows m: Int, columns n: Int, batch: Int, subgroupSize: Int, tile: Int, sharedMemory: Int) -> MatmulTuning {
        func accumulators(_ side: Int) -> MatmulTuning {
            let block = 2 * side * tile
            return MatmulTuning(workgroupSize: 4 * subgroupSize, rows: side, columns: side, rowsPerGroup: block, columnsPerGroup: block,
                                tile: tile, depth: 2 * tile)
        }
        let large = accumulators(4)
        let blocks = (m + large.rowsPerGroup - 1) / large.rowsPerGroup * ((n + large.columnsPerGroup - 1) / large.columnsPerGroup) * batch
        return blocks >= 128 && large.cooperativeSharedMemory <= sharedMemory ? large : accumulators(2)
    }

    /// Cooperative kernel: parts K is split into (matmul_split_sum.comp adds them) so that a grid
    /// smaller than the 128 workgroups above still gets about that many, each part at least 8
    /// steps of `depth`; 1 for large grids or short K.
    func cooperativeSplits(rows m: Int, columns n: Int, batch: Int, inner k: Int) -> Int {
        let blocks = (m + rowsPerGroup - 1) / rowsPerGroup * ((n + columnsPerGroup - 1) / columnsPerGroup) * batch
        return max(1, min((128 + blocks - 1) / blocks, k / (8 * depth), 16))
    }

    /// Bytes of shared memory the cooperative kernel declares: f16 rows of A and W padded by 8
    /// values, and one f32 matrix per subgroup for the output.
    var cooperativeSharedMemory: Int { 2 * (rowsPerGroup + columnsPerGroup) * (depth + 8) + 4 * 4 * tile * tile }

    static let plain = MatmulTuning(workgroupSize: 64, rows: 4, columns: 1, rowsPerGroup: 4, columnsPerGroup: 64)

    /// Texel kernel. On llvmpipe every fetch costs far more than an FMA, even with the register
    /// spills big tiles bring, so tiles grow as large as the output allows: 32 rows by up to 16
    /// columns per invocation measured fastest at 1024³ (bigger tiles made shader compilation
    /// take tens of seconds). Smaller outputs get smaller tiles rather than computing clamped
    /// duplicates.
    static func texels(rows m: Int, columns n: Int) -> MatmulTuning {
        let workgroupSize = 64
        let rows = [32, 8, 4].first { $0 <= m } ?? 1
        let columns = [16, 8, 4, 2].first { workgroupSize * $0 <= n } ?? 1
        return MatmulTuning(workgroupSize: workgroupSize, rows: rows, columns: columns,
                            rowsPerGroup: rows, columnsPerGroup: workgroupSize * columns)
    }

    /// Outputs of at most this many columns take the ROWS texel kernel where it can run.
    static let rowTexelColumnLimit = 256

    /// matmul.comp's ROWS kernel: 64 lanes of 4 rows each, and 16 columns per workgroup (fewer for narrower outputs).
    static func rowTexels(columns n: Int) -> MatmulTuning {
        let (workgroupSize, rows, columns) = (64, 4, min(n, 16))
        return MatmulTuning(workgroupSize: workgroupSize, rows: rows, columns: columns,
                            rowsPerGroup: workgroupSize * rows, columnsPerGroup: columns)
    }
}

extension ShaderVariant {
    /// The variant of `kernel` reading weights of `dtype`; with `storage16`, the one that also reads
    /// and writes 16-bit activations (it needs the device's 16-bit storage).
    static func matmul(_ kernel: MatmulKernel, _ dtype: DType, storage16: Bool = false) -> ShaderVariant {
        let (f32, sixteen): (ShaderVariant, ShaderVariant) = switch (kernel, dtype) {
        case (.cooperative2, .f32): (.matmulCoopmat2F32, .matmul16Coopmat2F32)
        case (.cooperative2, .f16): (.matmulCoopmat2F16, .matmul16Coopmat2F16)
        case (.cooperative2, .bf16): (.matmulCoopmat2Bf16, .matmul16Coopmat2Bf16)
        case (.cooperative2, .f8E4M3): (.matmulCoopmat2F8E4m3, .matmul16Coopmat2F8E4m3)
        case (.cooperative2, .q8_0): (.matmulCoopmat2Q80, .matmul16Coopmat2Q80)
        case (.cooperative2, .q4_0): (.matmulCoopmat2Q40, .matmul16Coopmat2Q40)
        case (.cooperative, .f32): (.matmulCoopmatF32, .matmul16CoopmatF32)
        case (.cooperative, .f16): (.matmulCoopmatF16, .matmul16CoopmatF16)
        case (.cooperative, .bf16): (.matmulCoopmatBf16, .matmul16CoopmatBf16)
        case (.cooperative, .f8E4M3): (.matmulCoopmatF8E4m3, .matmul16CoopmatF8E4m3)
        case (.cooperative, .q8_0): (.matmulCoopmatQ80, .matmul16CoopmatQ80)
        case (.cooperative, .q4_0): (.matmulCoopmatQ40, .matmul16CoopmatQ40)
        case (.tiled, .f32): (.matmulTiledF32, .matmul16TiledF32)
        case (.tiled, .f16): (.matmulTiledF16, .matmul16TiledF16)
        case (.tiled, .bf16): (.matmulTiledBf16, .matmul16TiledBf16)
        case (.tiled, .f8E4M3): (.matmulTiledF8E4m3, .matmul16TiledF8E4m3)
        case (.tiled, .q8_0): (.matmulTiledQ80, .matmul16TiledQ80)
        case (.tiled, .q4_0): (.matmulTiledQ40, .matmul16TiledQ40)
        case (.texels, .f32): (.matmulTexelsF32, .matmul16TexelsF32)
        case (.texels, .f16): (.matmulTexelsF16, .matmul16TexelsF16)
        case (.texels, .bf16): (.matmulTexelsBf16, .matmul16TexelsBf16)
        case (.texels, .f8E4M3): (.matmulTexelsF8E4m3, .matmul16TexelsF8E4m3)
        case (.texels, .q8_0): (.matmulTexelsQ80, .matmul16TexelsQ80)
        case (.texels, .q4_0): (.matmulTexelsQ40, .matmul16TexelsQ40)
        case (.plain, .f32): (.matmulF32, .matmul16F32)
        case (.plain, .f16): (.matmulF16, .matmul16F16)
        case (.plain, .bf16): (.matmulBf16, .matmul16Bf16)
        case (.plain, .f8E4M3): (.matmulF8E4m3, .matmul16F8E4m3)
        case (.plain, .q8_0): (.matmulQ80, .matmul16Q80)
        case (.plain, .q4_0): (.matmulQ40, .matmul16Q40)
        }
        return storage16 ? sixteen : f32
    }

    /// The texel kernel reading weights of `dtype` whose lanes share their fetches of A (f32 activations).
    static func sharedTexelMatmul(_ dtype: DType) -> ShaderVariant {
        switch dtype {
        case .f32: .matmulTexelsSharedF32
        case .f16: .matmulTexelsSharedF16
        case .bf16: .matmulTexelsSharedBf16
        case .f8E4M3: .matmulTexelsSharedF8E4m3
        case .q8_0: .matmulTexelsSharedQ80
        case .q4_0: .matmulTexelsSharedQ40
        }
    }
}
