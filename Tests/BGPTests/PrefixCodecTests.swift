import MoatModel
import Testing
@testable import BGP

/// RFC 4271 §4.3 prefix encoding: length in bits, then the fewest octets.
@Suite struct PrefixCodecTests {
    func encode(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        PrefixCodec.encode(CIDR(text)!, into: &bytes)
        return bytes
    }

    func decode(_ wire: String, ipv6: Bool = false) -> Result<[CIDR], PrefixCodec.Failure> {
        var reader = ByteReader(hex(wire))
        return PrefixCodec.decodeAll(&reader, ipv6: ipv6)
    }

    @Test(arguments: [
        ("0.0.0.0/0", "00"), ("10.0.0.0/8", "08 0a"), ("10.128.0.0/9", "09 0a80"),
        ("198.51.100.0/24", "18 c63364"), ("192.0.2.1/32", "20 c0000201"),
        ("::/0", "00"), ("2001:db8::/32", "20 20010db8"), ("2001:db8:2::/47", "2f 20010db80002"),
        ("2001:db8::1/128", "80 20010db8000000000000000000000001"),
    ])
    func goldenPrefixes(_ text: String, _ wire: String) {
        #expect(encode(text) == hex(wire))
        #expect(decode(wire, ipv6: text.contains(":")) == .success([CIDR(text)!]))
    }

    @Test func trailingBitsAreIgnored() {
        // RFC 4271 §4.3: "the value of trailing bits is irrelevant".
        #expect(decode("17 c63365") == .success([CIDR("198.51.100.0/23")!]))
        #expect(decode("09 0aff") == .success([CIDR("10.128.0.0/9")!]))
        #expect(decode("01 ff 00") == .success([CIDR("128.0.0.0/1")!, CIDR("0.0.0.0/0")!]))
    }

    @Test func lengthsBeyondTheFamilyAndTruncationAreErrors() {
        #expect(decode("21 0a000000 00") == .failure(.lengthTooLong(33)))
        #expect(decode("81 20010db8000000000000000000000000 00", ipv6: true) == .failure(.lengthTooLong(129)))
        #expect(decode("80 20010db8", ipv6: true) == .failure(.truncated))
        #expect(decode("18 c633") == .failure(.truncated))
        #expect(decode("") == .success([]))
    }
}
