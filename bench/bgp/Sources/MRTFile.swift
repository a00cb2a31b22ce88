import BGP
import Foundation
import MoatModel

/// An MRT TABLE_DUMP_V2 file (RFC 6396 §4.3) holding one path per prefix, for
/// `gobgp mrt inject global`: GoBGP's own bulk path into its RIB (one gRPC stream), much
/// faster than one `gobgp global rib add` process per prefix.
///
/// The paths carry what Moat's announcement carries: ORIGIN IGP, an empty AS_PATH (the
/// speaker prepends its AS towards an eBGP peer), the next hop, and the communities. The one
/// peer in the index table is 0.0.0.0 with AS 0, so GoBGP takes the paths as its own, as it
/// does for `gobgp global rib add`.
enum MRTFile {
    static let tableDumpV2: UInt16 = 13
    static let peerIndexTable: UInt16 = 1
    static let ribIPv4Unicast: UInt16 = 2
    static let ribIPv6Unicast: UInt16 = 4

    static func write(_ prefixes: [CIDR], nextHopV4: IPAddress, nextHopV6: IPAddress, communities: [Community], to path: String) throws {
        var bytes: [UInt8] = []
        // Collector BGP ID, empty view name, one peer: type 0b10 (IPv4 address, 4-octet AS), ID, address, AS.
        bytes += record(peerIndexTable, [0, 0, 0, 0] + u16(0) + u16(1) + [0b10] + [0, 0, 0, 0] + [0, 0, 0, 0] + u32(0))
        let community = communities.isEmpty ? [] : attribute(flags: 0xC0, type: 8, communities.flatMap { u32($0.rawValue) })
        let common = attribute(flags: 0x40, type: 1, [0]) + attribute(flags: 0x40, type: 2, [])
        for (sequence, prefix) in prefixes.enumerated() {
            let attributes: [UInt8]
            if prefix.isIPv4 {
                attributes = common + attribute(flags: 0x40, type: 3, nextHopV4.bytes) + community
            } else {
                // RFC 6396 §4.3.4 abbreviates MP_REACH_NLRI to the next hop, but GoBGP 3.10 reads
                // the full attribute (AFI, SAFI, next hop, reserved, NLRI), as it writes it.
                let reach = u16(2) + [1, UInt8(nextHopV6.bytes.count)] + nextHopV6.bytes + [0] + [UInt8(prefix.length)] + prefixBytes(prefix)
                attributes = common + attribute(flags: 0x80, type: 14, reach) + community
            }
            // Sequence, prefix, one entry: peer index 0, originated time, attributes.
            let body = u32(UInt32(sequence)) + [UInt8(prefix.length)] + prefixBytes(prefix) + u16(1)
                + u16(0) + u32(UInt32(Date().timeIntervalSince1970)) + u16(UInt16(attributes.count)) + attributes
            bytes += record(prefix.isIPv4 ? ribIPv4Unicast : ribIPv6Unicast, body)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    private static func prefixBytes(_ prefix: CIDR) -> [UInt8] {
        Array(prefix.address.bytes.prefix((prefix.length + 7) / 8))
    }

    private static func record(_ subtype: UInt16, _ body: [UInt8]) -> [UInt8] {
        u32(UInt32(Date().timeIntervalSince1970)) + u16(tableDumpV2) + u16(subtype) + u32(UInt32(body.count)) + body
    }

    private static func attribute(flags: UInt8, type: UInt8, _ value: [UInt8]) -> [UInt8] {
        [flags, type, UInt8(value.count)] + value
    }

    private static func u16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
    private static func u32(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }
}
