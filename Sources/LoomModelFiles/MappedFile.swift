#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole file. Model files are gigabytes; mapping lets the readers parse
/// headers and hand out tensor bytes without reading or copying the data.
final class MappedFile: @unchecked Sendable {
    // Immutable after init and only ever read, so sharing across threads is safe.
    let path: String
    let size: Int
    private let base: UnsafeRawPointer?
    /// Memory this object allocated itself (tensors derived from a file's), rather than mapped.
    private let isOwned: Bool

    /// A copy of `bytes` in memory of its own, standing in for the file at `path` it was derived from.
    init(copying bytes: [UInt8], path: String) {
        self.path = path
        size = bytes.count
        isOwned = true
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        bytes.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        base = UnsafeRawPointer(memory)
    }

    init(path: String) throws(ModelFileError) {
        self.path = path
        isOwned = false
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw ModelFileError(.unreadable, path: path, "cannot open the file (\(String(cString: strerror(errno))))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw ModelFileError(.unreadable, path: path, "cannot read the file's status (\(String(cString: strerror(errno))))")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw ModelFileError(.unreadable, path: path, "not a regular file")
        }
        size = Int(status.st_size)
        if size == 0 {
            base = nil
            return
        }
        let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw ModelFileError(.unreadable, path: path, "cannot memory-map the file (\(String(cString: strerror(errno))))")
        }
        base = UnsafeRawPointer(mapped)
    }

    deinit {
        guard let base else { return }
        if isOwned {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        } else {
            munmap(UnsafeMutableRawPointer(mutating: base), size)
        }
    }

    /// All bytes of the file. Valid only while `self` is alive; callers keep a reference.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }

    /// Bytes of a range already checked to lie inside the file.
    func bytes(in range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= size, "range outside the mapped file")
        return UnsafeRawBufferPointer(rebasing: bytes[range])
    }
}
