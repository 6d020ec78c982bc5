import AsyncTopTrace

/// Protocol-buffer wire encoding of the few Perfetto messages asynctop writes. Hand-written because
/// swift-protobuf would need Perfetto's .proto files and its code generator at build time for a dozen
/// fields; the field numbers used are Perfetto's published ones (see PerfettoTraceWriter).
struct ProtoBuffer {
    var bytes: [UInt8] = []

    @inline(__always)
    mutating func varint(_ value: UInt64) { Varint.append(value, to: &bytes) }

    @inline(__always)
    mutating func tag(_ field: UInt64, _ wireType: UInt64) { varint(field << 3 | wireType) }

    @inline(__always)
    mutating func field(_ number: UInt64, varint value: UInt64) {
        tag(number, 0)
        varint(value)
    }

    @inline(__always)
    mutating func field(_ number: UInt64, fixed64 value: UInt64) {
        tag(number, 1)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func field(_ number: UInt64, double value: Double) { field(number, fixed64: value.bitPattern) }

    mutating func field(_ number: UInt64, string: String) {
        tag(number, 2)
        varint(UInt64(string.utf8.count))
        bytes.append(contentsOf: string.utf8)
    }

    mutating func field(_ number: UInt64, bytes value: [UInt8]) {
        tag(number, 2)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    @inline(__always)
    mutating func field(_ number: UInt64, message: ProtoBuffer) {
        tag(number, 2)
        varint(UInt64(message.bytes.count))
        bytes.append(contentsOf: message.bytes)
    }

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }
}
