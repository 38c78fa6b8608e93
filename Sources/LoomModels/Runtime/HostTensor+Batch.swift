extension HostTensor {
    /// The tensor with `batch` rows along its first dimension: itself when it has them, its one
    /// row repeated when it has a single one (as ComfyUI repeats conditioning to the latent's
    /// batch), nil otherwise.
    public func repeatingBatch(to batch: Int) -> HostTensor? {
        guard rank >= 1 else { return nil }
        if shape[0] == batch { return self }
        guard shape[0] == 1, batch > 0 else { return nil }
        var repeated = shape
        repeated[0] = batch
        return HostTensor(shape: repeated, values: Array([[Float]](repeating: values, count: batch).joined()))
    }

    /// `first`'s rows followed by `second`'s, or nil when the rows differ in shape.
    public static func stackingBatches(_ first: HostTensor, _ second: HostTensor) -> HostTensor? {
        guard first.rank >= 1, first.shape.dropFirst() == second.shape.dropFirst() else { return nil }
        var shape = first.shape
        shape[0] += second.shape[0]
        return HostTensor(shape: shape, values: first.values + second.values)
    }
}
