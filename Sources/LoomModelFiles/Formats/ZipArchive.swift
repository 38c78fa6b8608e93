/// The entries of a zip file, found through its central directory (zip64 included, since
/// checkpoints pass 4 GB). Only stored entries can be read: torch.save never compresses, and reading
/// stored data in place is what lets tensors stay in the memory map. Compressed entries are listed (torch.jit.save
/// deflates the code it writes beside the weights) but their data is refused.
struct ZipArchive {
    struct Entry {
        let name: String
        /// The zip compression method; 0 is stored.
        let method: UInt16
        /// Absolute byte range of the entry's data in the file, as stored (compressed or not).
        let storedRange: Range<Int>

        /// The entry's bytes in the file; only uncompressed entries can be read in place.
        func dataRange(path: String) throws(ModelFileError) -> Range<Int> {
            guard method == 0 else {
                throw ModelFileError(.unsupported, path: path, "zip entry \(name) is compressed (method \(method)); PyTorch stores weights and pickles uncompressed")
            }
            return storedRange
        }
    }

    let entries: [Entry]

    init(_ file: MappedFile) throws(ModelFileError) {
        let path = file.path
        let bytes = file.bytes
        let endRecordOffset = try Self.findEndRecord(bytes, path: path)
        var end = ByteCursor(bytes, path: path, context: "zip end record", offset: endRecordOffset + 10)
        var entryCount = UInt64(try end.read(UInt16.self, "the entry count"))
        var directorySize = UInt64(try end.read(UInt32.self, "the directory size"))
        var directoryOffset = UInt64(try end.read(UInt32.self, "the directory offset"))

        if entryCount == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // Zip64: a locator just before the end record points at the zip64 end record.
            guard endRecordOffset >= 20 else { throw end.corrupt("zip64 fields without a zip64 locator") }
            var locator = ByteCursor(bytes, path: path, context: "zip64 locator", offset: endRecordOffset - 20)
            guard try locator.read(UInt32.self, "its signature") == 0x0706_4B50 else {
                throw locator.corrupt("missing zip64 end-record locator")
            }
            _ = try locator.read(UInt32.self, "the disk number")
            let recordOffset = try locator.read(UInt64.self, "the zip64 end-record offset")
            guard recordOffset < UInt64(bytes.count) else { throw locator.corrupt("zip64 end record lies outside the file") }
            var record = ByteCursor(bytes, path: path, context: "zip64 end record", offset: Int(recordOffset))
            guard try record.read(UInt32.self, "its signature") == 0x0606_4B50 else {
                throw record.corrupt("bad zip64 end-record signature")
            }
            _ = try record.readBytes(28, "its fixed fields")
            entryCount = try record.read(UInt64.self, "the entry count")
            directorySize = try record.read(UInt64.self, "the directory size")
            directoryOffset = try record.read(UInt64.self, "the directory offset")
        }
        guard directoryOffset <= UInt64(bytes.count), directorySize <= UInt64(bytes.count) - directoryOffset else {
            throw ModelFileError(.truncated, path: path, "zip central directory lies past the end of the file")
        }
        // A directory entry takes at least 46 bytes, which bounds the loop for any declared count.
        guard entryCount <= directorySize / 46 else {
            throw ModelFileError(.corrupt, path: path, "zip declares \(entryCount) entries in a \(directorySize)-byte directory")
        }
        let directory = UnsafeRawBufferPointer(rebasing: bytes[Int(directoryOffset)..<Int(directoryOffset + directorySize)])
        var cursor = ByteCursor(directory, path: path, context: "zip central directory")
        var entries: [Entry] = []
        for _ in 0..<entryCount {
            entries.append(try Self.readEntry(&cursor, file: bytes, path: path))
        }
        self.entries = entries
    }

    private static func findEndRecord(_ bytes: UnsafeRawBufferPointer, path: String) throws(ModelFileError) -> Int {
        // The end record is 22 bytes plus a comment of at most 65535 bytes, at the end of the file.
        guard bytes.count >= 22 else { throw ModelFileError(.truncated, path: path, "too short to be a zip archive") }
        let lowest = max(0, bytes.count - 22 - 0xFFFF)
        var offset = bytes.count - 22
        while offset >= lowest {
            if bytes[offset] == 0x50, bytes[offset + 1] == 0x4B, bytes[offset + 2] == 0x05, bytes[offset + 3] == 0x06 {
                return offset
            }
            offset -= 1
        }
        throw ModelFileError(.truncated, path: path, "zip end record not found (the file is truncated or not a zip archive)")
    }

    private static func readEntry(_ cursor: inout ByteCursor, file: UnsafeRawBufferPointer, path: String) throws(ModelFileError) -> Entry {
        guard try cursor.read(UInt32.self, "an entry signature") == 0x0201_4B50 else {
            throw cursor.corrupt("bad entry signature at byte \(cursor.offset - 4)")
        }
        _ = try cursor.readBytes(4, "the versions")
        let flags = try cursor.read(UInt16.self, "the flags")
        let method = try cursor.read(UInt16.self, "the compression method")
        _ = try cursor.readBytes(8, "the time, date and checksum")
        var compressedSize = UInt64(try cursor.read(UInt32.self, "the compressed size"))
        var size = UInt64(try cursor.read(UInt32.self, "the size"))
        let nameLength = Int(try cursor.read(UInt16.self, "the name length"))
        let extraLength = Int(try cursor.read(UInt16.self, "the extra-field length"))
        let commentLength = Int(try cursor.read(UInt16.self, "the comment length"))
        _ = try cursor.readBytes(8, "the disk and attributes")
        var localHeaderOffset = UInt64(try cursor.read(UInt32.self, "the local header offset"))
        let name = try cursor.readString(byteCount: nameLength, "an entry name")
        var extra = ByteCursor(try cursor.readBytes(extraLength, "the extra field of \(name)"), path: path, context: "zip extra field of \(name)")
        _ = try cursor.readBytes(commentLength, "the comment of \(name)")

        // The zip64 extra field holds, in this order, only the values whose 32-bit fields are saturated.
        while extra.remaining >= 4 {
            let id = try extra.read(UInt16.self, "an extra-field id")
            let length = Int(try extra.read(UInt16.self, "an extra-field length"))
            var field = ByteCursor(try extra.readBytes(length, "an extra field"), path: path, context: "zip64 field of \(name)")
            guard id == 0x0001 else { continue }
            if size == 0xFFFF_FFFF { size = try field.read(UInt64.self, "the size") }
            if compressedSize == 0xFFFF_FFFF { compressedSize = try field.read(UInt64.self, "the compressed size") }
            if localHeaderOffset == 0xFFFF_FFFF { localHeaderOffset = try field.read(UInt64.self, "the local header offset") }
        }

        guard flags & 1 == 0 else { throw ModelFileError(.unsupported, path: path, "zip entry \(name) is encrypted") }
        guard method != 0 || compressedSize == size else { throw cursor.corrupt("stored entry \(name) has differing sizes") }
        guard localHeaderOffset <= UInt64(file.count) else {
            throw ModelFileError(.truncated, path: path, "zip entry \(name) starts past the end of the file")
        }
        var local = ByteCursor(file, path: path, context: "zip local header of \(name)", offset: Int(localHeaderOffset))
        guard try local.read(UInt32.self, "its signature") == 0x0403_4B50 else { throw local.corrupt("bad signature") }
        _ = try local.readBytes(22, "its fixed fields")
        let localNameLength = Int(try local.read(UInt16.self, "the name length"))
        let localExtraLength = Int(try local.read(UInt16.self, "the extra-field length"))
        _ = try local.readBytes(localNameLength + localExtraLength, "the name and extra field")
        let dataStart = local.offset
        guard compressedSize <= UInt64(file.count - dataStart) else {
            throw ModelFileError(.truncated, path: path, "zip entry \(name) (\(compressedSize) bytes) extends past the end of the file")
        }
        return Entry(name: name, method: method, storedRange: dataStart..<(dataStart + Int(compressedSize)))
    }
}
