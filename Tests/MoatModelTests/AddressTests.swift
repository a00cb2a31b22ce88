import MoatModel
import Testing

@Suite struct AddressTests {
    @Test(arguments: [
        ("192.0.2.1", "192.0.2.1"),
        ("0.0.0.0", "0.0.0.0"),
        ("255.255.255.255", "255.255.255.255"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("2001:db8::", "2001:db8::"),
        ("::", "::"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
    ])
    func parsesAndPrintsCanonically(_ text: String, _ canonical: String) {
        #expect(IPAddress(text)?.description == canonical)
    }

    @Test(arguments: ["", "192.0.2", "192.0.2.256", "192.0.2.1.5", "01.2.3.4x", "2001:db8:::1", "2001:db8::g", "fe80::1%eth0", " 192.0.2.1", "192.0.2.1/32"])
    func rejectsWhatIsNotAnAddress(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func cidrRulesHold() throws {
        let prefix = try CIDR.parse("203.0.112.0/23")
        #expect(prefix.contains(IPAddress("203.0.113.255")!))
        #expect(!prefix.contains(IPAddress("203.0.114.0")!))
        #expect(prefix.contains(try CIDR.parse("203.0.113.0/24")))
        #expect(!prefix.contains(try CIDR.parse("203.0.112.0/22")))
        #expect(prefix.overlaps(try CIDR.parse("203.0.112.0/22")))
        #expect(!prefix.overlaps(try CIDR.parse("2001:db8::/32")))
        #expect(prefix.lastAddress.description == "203.0.113.255")
        #expect(try CIDR.parse("0.0.0.0/0").contains(IPAddress("198.51.100.7")!))
        #expect(try CIDR.parse("::/0").size == .max)
        #expect(try CIDR.parse("2001:db8::/127").lastAddress.description == "2001:db8::1")
    }

    @Test func supernetsContainThePrefix() throws {
        let prefix = try CIDR.parse("203.0.113.128/25")
        #expect(prefix.supernet(length: 25) == prefix)
        #expect(prefix.supernet(length: 24).description == "203.0.113.0/24")
        #expect(prefix.supernet(length: 17).description == "203.0.0.0/17")
        #expect(prefix.supernet(length: 0).description == "0.0.0.0/0")
        let v6 = try CIDR.parse("2001:db8:ab00::/40")
        #expect(v6.supernet(length: 33).description == "2001:db8:8000::/33")
        #expect(v6.supernet(length: 32).description == "2001:db8::/32")
        #expect(v6.supernet(length: 0).description == "::/0")
        for length in 0...40 { #expect(v6.supernet(length: length).contains(v6)) }
    }

    @Test func cidrErrorsSayWhatIsWrong() {
        #expect(throws: CIDR.ParseError.hostBitsSet(suggestion: "192.0.2.0/24")) { try CIDR.parse("192.0.2.1/24") }
        #expect(throws: CIDR.ParseError.missingLength) { try CIDR.parse("192.0.2.0") }
        #expect(throws: CIDR.ParseError.invalidLength("33")) { try CIDR.parse("192.0.2.0/33") }
        #expect(throws: CIDR.ParseError.invalidLength("+8")) { try CIDR.parse("10.0.0.0/+8") }
        #expect(throws: CIDR.ParseError.invalidAddress("300.0.0.0")) { try CIDR.parse("300.0.0.0/8") }
    }

    /// Random prefixes: the text form round-trips and containment agrees with the numeric range.
    @Test func randomPrefixesRoundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let v4 = Bool.random(using: &generator)
            let length = Int.random(in: 0...(v4 ? 32 : 128), using: &generator)
            let raw: IPAddress = v4 ? .v4(UInt32.random(in: .min ... .max, using: &generator))
                : .v6(UInt128(UInt64.random(in: .min ... .max)) << 64 | UInt128(UInt64.random(in: .min ... .max)))
            let host = try CIDR.parse("\(raw)/\(raw.bitWidth)")
            // Masking by hand, then the text form must parse back to the same prefix.
            let hostBits = raw.bitWidth - length
            let masked: UInt128 = hostBits >= 128 ? 0 : (raw.numeric >> hostBits) << hostBits
            let base: IPAddress = v4 ? .v4(UInt32(truncatingIfNeeded: masked)) : .v6(masked)
            let network = try CIDR(address: base, length: length)
            if base != raw { #expect(throws: CIDR.ParseError.self) { try CIDR.parse("\(raw)/\(length)") } }
            #expect(try CIDR.parse(network.description) == network)
            #expect(network.contains(host), "\(network) should contain \(raw)")
            #expect(network.address <= raw && raw <= network.lastAddress)
        }
    }
}
