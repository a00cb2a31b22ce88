import MoatModel
import Proxy
import Testing

/// The headers byte for byte as the specifications lay them out: HAProxy's PROXY protocol
/// (§2.1 text, §2.2 binary) and Cloudflare's Simple Proxy Protocol.
@Suite struct ProxyHeaderTests {
    static let client = ProxyHeader.Endpoint(IPAddress("192.0.2.1")!, 56324)
    static let edge = ProxyHeader.Endpoint(IPAddress("198.51.100.1")!, 443)

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func versionOneIsOneLineOfText() {
        #expect(String(decoding: ProxyHeader.v1(source: Self.client, destination: Self.edge), as: UTF8.self)
                == "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n")
        let v6 = ProxyHeader.v1(source: .init(IPAddress("2001:db8::2")!, 1234), destination: .init(IPAddress("2001:db8::1")!, 80))
        #expect(String(decoding: v6, as: UTF8.self) == "PROXY TCP6 2001:db8::2 2001:db8::1 1234 80\r\n")
        // One family per line: an IPv4 client of an IPv6 address is written IPv4-mapped.
        let mixed = ProxyHeader.v1(source: Self.client, destination: .init(IPAddress("2001:db8::1")!, 80))
        #expect(String(decoding: mixed, as: UTF8.self) == "PROXY TCP6 ::ffff:192.0.2.1 2001:db8::1 56324 80\r\n")
        #expect(ProxyHeader.v1(source: Self.client, destination: Self.edge).count <= 107, "the spec's longest line")
    }

    @Test func versionTwoIsTheSignatureThenFamilyAddressesAndPorts() {
        let tcp = ProxyHeader.v2(source: Self.client, destination: Self.edge, transport: .stream)
        #expect(Self.hex(tcp) == "0d0a0d0a000d0a515549540a" + "21" + "11" + "000c" + "c0000201" + "c6336401" + "dc04" + "01bb")
        let udp = ProxyHeader.v2(source: Self.client, destination: Self.edge, transport: .datagram)
        #expect(udp[13] == 0x12, "AF_INET + DGRAM")
        let v6 = ProxyHeader.v2(source: .init(IPAddress("2001:db8::2")!, 1234), destination: .init(IPAddress("2001:db8::1")!, 80), transport: .stream)
        #expect(v6.count == 16 + 36)
        #expect(Self.hex(Array(v6[12..<16])) == "21210024")
        #expect(Self.hex(Array(v6[16..<32])) == "20010db8000000000000000000000002")
    }

    @Test func simpleProxyProtocolIs38BytesWithMappedAddresses() {
        let header = ProxyHeader.simple(source: Self.client, destination: Self.edge)
        #expect(header.count == ProxyHeader.simpleLength)
        #expect(Self.hex(header) == "56ec" + "00000000000000000000ffffc0000201" + "00000000000000000000ffffc6336401" + "dc04" + "01bb")
    }
}
