extension ModelFile {
    /// A model file held in memory whose tensors all read their bytes from a few shared pools, each tensor
    /// from its own offset in the pool it names. Benchmarks use it for real model layouts with random
    /// weights: a 12-billion-parameter transformer costs little more than its largest tensor in host memory,
    /// and no file is written.
    public static func sharingPools(
        path: String, pools: [(dataType: TensorDataType, bytes: [UInt8])], tensors: [(name: String, shape: [Int], pool: Int)]
    ) throws(ModelFileError) -> ModelFile {
        let files = pools.map { MappedFile(copying: $0.bytes, path: path) }
        var stored: [StoredTensor] = []
        stored.reserveCapacity(tensors.count)
        for (index, tensor) in tensors.enumerated() {
            guard pools.indices.contains(tensor.pool) else {
                throw ModelFileError(.corrupt, path: path, "tensor \"\(tensor.name)\" reads pool \(tensor.pool) of \(pools.count)")
            }
            let (dataType, file) = (pools[tensor.pool].dataType, files[tensor.pool])
            guard let count = elementCount(of: tensor.shape), let byteCount = dataType.byteCount(elementCount: count) else {
                throw ModelFileError(.corrupt, path: path, "tensor \"\(tensor.name)\" has an invalid shape \(tensor.shape) for \(dataType.name)")
            }
            guard byteCount <= file.size else {
                throw ModelFileError(.truncated, path: path, "tensor \"\(tensor.name)\" needs \(byteCount) bytes, its pool holds \(file.size)")
            }
            // Whole blocks from a start that differs between neighbouring tensors, so they do not share values.
            let block = dataType.blockByteCount
            let startBlocks = (file.size - byteCount) / block + 1
            let start = (index &* 7_919) % startBlocks * block
            stored.append(StoredTensor(name: tensor.name, dataType: dataType, shape: tensor.shape,
                                       byteRange: start..<(start + byteCount), file: file))
        }
        return try ModelFile(path: path, format: .safetensors, tensors: stored, metadata: [:], fileSize: files.reduce(0) { $0 + $1.size })
    }
}
