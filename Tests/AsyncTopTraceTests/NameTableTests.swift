import AsyncTopTrace
import Testing

@Suite struct NameTableTests {
    @Test func internedNamesAreStableAndResolvable() throws {
        let region = try Region(layout: RegionLayout(ringCount: 1, ringCapacity: 16, namesCapacity: 4096))
        let a = region.names.intern("alpha")
        let b = region.names.intern("beta")
        #expect(a != .none && b != .none && a != b)
        #expect(region.names.intern("alpha") == a)
        let site = region.names.intern(fileID: #fileID, line: 10)
        #expect(region.names.intern(fileID: #fileID, line: 10) == site)
        #expect(region.names.intern(fileID: #fileID, line: 11) != site)
        let reader = InProcessSource(region: region).names
        #expect(reader.string(for: a) == "alpha")
        #expect(reader.string(for: site) == "AsyncTopTraceTests/NameTableTests.swift:10")
        #expect(reader.all().map(\.id) == [a, b, site, region.names.intern(fileID: #fileID, line: 11)])
    }

    @Test func controlBytesAndInvalidUTF8RoundTripAsBytes() throws {
        let region = try Region(layout: RegionLayout(ringCount: 1, ringCapacity: 16, namesCapacity: 4096))
        let hostile: [UInt8] = [0x1B, 0x5B, 0x32, 0x4A, 0x00, 0xFF, 0xFE, 0xC3, 0x28, 0x07, 0x41]
        let id = region.names.intern(bytes: hostile)
        let empty = region.names.intern(bytes: [])
        let reader = InProcessSource(region: region).names
        #expect(reader.bytes(for: id) == hostile)
        #expect(reader.bytes(for: empty) == [])
    }

    @Test func unknownIdsResolveToNothing() throws {
        let region = try Region(layout: RegionLayout(ringCount: 1, ringCapacity: 16, namesCapacity: 64))
        let id = region.names.intern("x")
        let reader = InProcessSource(region: region).names
        #expect(reader.bytes(for: .none) == nil)
        #expect(reader.bytes(for: NameID(rawValue: id.rawValue + 1)) == nil)
        #expect(reader.bytes(for: NameID(rawValue: .max)) == nil)
    }

    @Test func aFullArenaGivesNoneInsteadOfOverflowing() throws {
        let region = try Region(layout: RegionLayout(ringCount: 1, ringCapacity: 16, namesCapacity: 64))
        var ids: [NameID] = []
        for i in 0..<20 { ids.append(region.names.intern("name-number-\(i)")) }
        #expect(ids.contains(.none))
        let reader = InProcessSource(region: region).names
        for (i, id) in ids.enumerated() where id != .none {
            #expect(reader.string(for: id) == "name-number-\(i)")
        }
    }
}
