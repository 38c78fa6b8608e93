import LoomVulkan

/// Flux's token positions and their rotary embedding. Text tokens sit at (0, 0, 0); image token
/// (row, column) of the patch grid at (0, row, column) — ComfyUI's ids for the main image, whose
/// h/w offsets and index are 0 (only reference latents get others).
enum FluxPositions {
    /// [L, 3] positions, text tokens first, then the image grid row by row.
    static func ids(textTokens: Int, rows: Int, columns: Int) -> [Float] {
        var ids = [Float](repeating: 0, count: 3 * textTokens)
        ids.reserveCapacity(3 * (textTokens + rows * columns))
        for row in 0..<rows {
            for column in 0..<columns { ids += [0, Float(row), Float(column)] }
        }
        return ids
    }

    /// The (cos, sin) table [L, D/2, 2] on the device, shared by every batch item and block.
    static func rotaryTable(textTokens: Int, rows: Int, columns: Int, configuration: FluxConfiguration,
                            context: VulkanContext) throws(VulkanError) -> Tensor {
        let table = try RotaryEmbedding.table(positions: ids(textTokens: textTokens, rows: rows, columns: columns),
                                              axisDimensions: configuration.rotaryAxes, theta: configuration.theta)
        return try context.upload(table, shape: [textTokens + rows * columns, configuration.headDimension / 2, 2])
    }
}
