import AsyncTopTrace

/// Makes a fuzzed `.atrace` image's checksums right, so that the reader looks past them.
///
/// Nearly every mutation of a file breaks a CRC-32C, and a reader that checks them (as it must) would reject almost
/// every input at the checksum, leaving the decoders behind it unfuzzed. The checksum checks themselves are covered
/// by the unit tests' corrupted files. The walk follows the format (`TraceFileFormat`): the header's CRC after the
/// process name, then each chunk's after its payload, moving to the next `ACHK` marker where a chunk is not whole.
public enum TraceFileRepair {
    /// Bytes in the header before the process name: magic, versions, clock, pid, epochs, start time, name length.
    public static let headerFixedSize = 66

    public static func fixChecksums(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { raw in
            guard raw.count >= headerFixedSize else { return }
            let nameLength = Int(raw.loadUnaligned(fromByteOffset: headerFixedSize - 2, as: UInt16.self))
            var offset = headerFixedSize + nameLength
            guard nameLength <= 255, raw.count >= offset + 4 else { return }
            store(crc(raw, 0, offset), in: raw, at: offset)
            offset += 4
            let header = TraceFileFormat.chunkHeaderSize
            while offset + header + 4 <= raw.count {
                let magic = raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
                let length = Int(raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self))
                guard magic == TraceFileFormat.chunkMagic, length <= raw.count - offset - header - 4 else {
                    offset += 1
                    continue
                }
                store(crc(raw, offset + 4, offset + header + length), in: raw, at: offset + header + length)
                offset += header + length + 4
            }
        }
    }

    private static func crc(_ raw: UnsafeMutableRawBufferPointer, _ start: Int, _ end: Int) -> UInt32 {
        TraceFileFormat.crc(UnsafeRawBufferPointer(rebasing: raw[start..<end]))
    }

    private static func store(_ value: UInt32, in raw: UnsafeMutableRawBufferPointer, at offset: Int) {
        raw.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self)
    }
}
