import MoatModel

/// The prefix encoding of NLRI and withdrawn routes (RFC 4271 §4.3, RFC 4760 §5): a length
/// in bits, then the fewest octets that hold that many bits.
///
/// Decisions, per RFC:
/// - A length above 32 (IPv4) or 128 (IPv6), or octets missing at the end of the field, is
///   a syntax error: the caller turns it into the error of the field it was reading.
/// - Bits past the length ("trailing bits") are ignored, not rejected: RFC 4271 §4.3 says
///   "the value of trailing bits is irrelevant". They are cleared on decode, so a prefix
///   decodes to the same `CIDR` however the sender padded it, and are always 0 on encode
///   (a `CIDR` has no host bits).
enum PrefixCodec {
    enum Failure: Error, Equatable {
        case lengthTooLong(UInt8)
        case truncated
    }

    /// Decodes every prefix in `reader` until it is empty.
    static func decodeAll(_ reader: inout ByteReader, ipv6: Bool) -> Result<[CIDR], Failure> {
        var prefixes: [CIDR] = []
        while !reader.isAtEnd {
            switch decode(&reader, ipv6: ipv6) {
            case .success(let prefix): prefixes.append(prefix)
            case .failure(let failure): return .failure(failure)
            }
        }
        return .success(prefixes)
    }

    static func decode(_ reader: inout ByteReader, ipv6: Bool) -> Result<CIDR, Failure> {
        guard let length = reader.u8() else { return .failure(.truncated) }
        let width = ipv6 ? 128 : 32
        guard Int(length) <= width else { return .failure(.lengthTooLong(length)) }
        let count = (Int(length) + 7) / 8
        guard let octets = reader.read(count) else { return .failure(.truncated) }
        var value: UInt128 = 0
        for (index, octet) in octets.enumerated() {
            value |= UInt128(octet) << (width - 8 - 8 * index)
        }
        let hostBits = width - Int(length)
        if hostBits > 0 { value = hostBits >= 128 ? 0 : (value >> hostBits) << hostBits }
        let address: IPAddress = ipv6 ? .v6(value) : .v4(UInt32(truncatingIfNeeded: value))
        guard let prefix = try? CIDR(address: address, length: Int(length)) else { return .failure(.truncated) }
        return .success(prefix)
    }

    static func encode(_ prefix: CIDR, into bytes: inout [UInt8]) {
        bytes.append(UInt8(prefix.length))
        let octets = prefix.address.bytes
        bytes.append(contentsOf: octets.prefix((prefix.length + 7) / 8))
    }

    static func encodedLength(_ prefix: CIDR) -> Int { 1 + (prefix.length + 7) / 8 }
}
