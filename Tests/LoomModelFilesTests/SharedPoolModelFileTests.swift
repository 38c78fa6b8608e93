import Testing
@testable import LoomModelFiles

@Suite struct SharedPoolModelFileTests {
    @Test func tensorsReadWholeElementsOfTheirPool() throws {
        let halfs: [UInt8] = (0..<64).map { UInt8($0) }
        let bytes: [UInt8] = (0..<16).map { UInt8(100 + $0) }
        let file = try ModelFile.sharingPools(
            path: "synthetic", pools: [(.bfloat16, halfs), (.float8E4M3, bytes)],
            tensors: [("a", [4, 3], 0), ("b", [5], 0), ("c", [2, 8], 1), ("d", [3], 1)])
        #expect(file.tensorNames == ["a", "b", "c", "d"])
        for name in ["a", "b", "c", "d"] {
            let tensor = try #require(file[name])
            let width = tensor.dataType.blockByteCount
            #expect(tensor.byteCount == tensor.elementCount * width)
            #expect(tensor.byteRange.lowerBound % width == 0)
            let pool = tensor.dataType == .bfloat16 ? halfs : bytes
            #expect(tensor.byteRange.upperBound <= pool.count)
            tensor.withUnsafeBytes { #expect(Array($0) == Array(pool[tensor.byteRange])) }
        }
        #expect(file["a"]?.dataType == .bfloat16 && file["d"]?.dataType == .float8E4M3)
        // A tensor as large as its pool is the whole pool; the next one of that pool starts elsewhere.
        #expect(file["c"]?.byteRange == 0..<16)
        #expect(file["a"]?.byteRange.lowerBound != file["b"]?.byteRange.lowerBound)
    }

    @Test func refusesTensorsLargerThanTheirPoolOrWithoutOne() {
        let small = #expect(throws: ModelFileError.self) {
            try ModelFile.sharingPools(path: "synthetic", pools: [(.float16, [UInt8](repeating: 0, count: 16))], tensors: [("a", [9], 0)])
        }
        #expect(small?.kind == .truncated)
        let missing = #expect(throws: ModelFileError.self) {
            try ModelFile.sharingPools(path: "synthetic", pools: [(.float16, [0, 0])], tensors: [("a", [1], 1)])
        }
        #expect(missing?.kind == .corrupt)
        let negative = #expect(throws: ModelFileError.self) {
            try ModelFile.sharingPools(path: "synthetic", pools: [(.float16, [0, 0])], tensors: [("a", [-1], 0)])
        }
        #expect(negative?.kind == .corrupt)
    }
}
