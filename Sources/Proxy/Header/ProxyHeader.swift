import MoatModel

/// The header that tells an origin who the client is (HAProxy's PROXY protocol, version 1 or 2,
/// or Cloudflare's Simple Proxy Protocol for UDP). Pure: addresses in, bytes out.
package enum ProxyHeader {
    /// One end of a proxied flow.
    package struct Endpoint: Hashable, Sendable {
        package var address: IPAddress
        package var port: UInt16

        package init(_ address: IPAddress, _ port: UInt16) {
            self.address = address
            self.port = port
        }
    }

    package enum Transport: Sendable { case stream, datagram }

    /// The 12-byte signature of version 2 (PROXY protocol spec §2.2).
    package static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    /// Version 1 (§2.1): `PROXY TCP4 <src> <dst> <sport> <dport>\r\n`. Both addresses must be
    /// of one family, so an IPv4 client of an IPv6 listener is written IPv4-mapped.
    package static func v1(source: Endpoint, destination: Endpoint) -> [UInt8] {
        let (src, dst, family) = sameFamily(source.address, destination.address)
        return Array("PROXY \(family == 4 ? "TCP4" : "TCP6") \(src) \(dst) \(source.port) \(destination.port)\r\n".utf8)
    }

    /// Version 2 (§2.2): signature, version 2 + PROXY command, family and transport, the
    /// address block's length, then addresses and ports.
    package static func v2(source: Endpoint, destination: Endpoint, transport: Transport) -> [UInt8] {
        let (src, dst, family) = sameFamily(source.address, destination.address)
        var bytes = v2Signature
        bytes.append(0x21)
        let familyNibble: UInt8 = family == 4 ? 0x10 : 0x20
        bytes.append(familyNibble | (transport == .stream ? 0x01 : 0x02))
        let length: UInt16 = family == 4 ? 12 : 36
        bytes += [UInt8(length >> 8), UInt8(length & 0xff)]
        bytes += src.bytes + dst.bytes
        bytes += [UInt8(source.port >> 8), UInt8(source.port & 0xff), UInt8(destination.port >> 8), UInt8(destination.port & 0xff)]
        return bytes
    }

    /// Simple Proxy Protocol (Cloudflare Spectrum, UDP): magic 0x56EC, client address, proxy
    /// address (both 16 bytes, IPv4 mapped into IPv6), client port, proxy port: 38 bytes.
    package static func simple(source: Endpoint, destination: Endpoint) -> [UInt8] {
        var bytes: [UInt8] = [0x56, 0xEC]
        bytes += mapped(source.address).bytes + mapped(destination.address).bytes
        bytes += [UInt8(source.port >> 8), UInt8(source.port & 0xff), UInt8(destination.port >> 8), UInt8(destination.port & 0xff)]
        return bytes
    }

    package static let simpleLength = 38

    /// Both addresses in one family: IPv4 when both are, else both as IPv6.
    static func sameFamily(_ a: IPAddress, _ b: IPAddress) -> (IPAddress, IPAddress, Int) {
        if a.isIPv4 && b.isIPv4 { return (a, b, 4) }
        return (mapped(a), mapped(b), 6)
    }

    /// An IPv4-mapped IPv6 address as the IPv4 address it carries (a dual-stack socket reports
    /// IPv4 clients that way); any other address as it is.
    package static func unmapped(_ address: IPAddress) -> IPAddress {
        guard case .v6(let value) = address, value >> 32 == 0xffff else { return address }
        return .v4(UInt32(truncatingIfNeeded: value))
    }

    /// `::ffff:a.b.c.d` for an IPv4 address (RFC 4291 §2.5.5.2).
    static func mapped(_ address: IPAddress) -> IPAddress {
        guard case .v4(let value) = address else { return address }
        return .v6(UInt128(0xffff) << 32 | UInt128(value))
    }
}
