import Foundation
import LoomModels

extension HostTensor {
    /// A golden array: little-endian float32 values, row-major, in a file of their own.
    init(float32File url: URL, shape: [Int]) throws {
        let data = try Data(contentsOf: url)
        let values = data.withUnsafeBytes { bytes in
            (0..<(bytes.count / 4)).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        self.init(shape: shape, values: values)
    }
}
