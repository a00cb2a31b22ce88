import Foundation
import LinuxNet
import MoatModel
import Proxy
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Port ranges: the original destination port maps onto the origin's range (or its one port),
/// the TPROXY table and routing say exactly what the kernel needs, and the original
/// destination is read from the control message the kernel attaches to each datagram.
@Suite struct PortRangeTests {
    static func app(ports: String, origins: [String]) -> SpectrumApp {
        SpectrumApp(id: "app_range", accountID: "acc_test",
                    spec: SpectrumAppSpec(name: "range", proto: .tcp, ports: .init(ports)!,
                                          origins: origins.map { .init(address: IPAddress("192.0.2.10")!, ports: .init($0)!) }),
                    at: Date())
    }

    @Test func anOriginRangeTakesTheSameOffsetAndASinglePortTakesEverything() {
        let ranged = SpectrumApp.Origin(address: IPAddress("192.0.2.10")!, ports: .init("7000-7010")!)
        let single = SpectrumApp.Origin(address: IPAddress("192.0.2.11")!, ports: .init("25565")!)
        let listen = SpectrumApp.PortRange("3000-3010")!
        #expect([3000, 3001, 3005, 3010].map { ranged.port(for: $0, listen: listen) } == [7000, 7001, 7005, 7010])
        #expect([3000, 3005, 3010].map { single.port(for: $0, listen: listen) } == [25565, 25565, 25565])
    }

    @Test func theRuntimeGivesEachOriginItsMappedPort() {
        let runtime = AppRuntime(app: Self.app(ports: "1000-1999", origins: ["2000-2999", "443"])) { _ in }
        let client = IPAddress("198.51.100.7")!
        let first = runtime.origins(for: client, port: 1500).sorted { $0.index < $1.index }
        #expect(first.map(\.port) == [2500, 443])
        #expect(runtime.origins(for: client, port: 1999).sorted { $0.index < $1.index }.map(\.port) == [2999, 443])
    }

    @Test func theTableSendsEachRangeToItsSocketWithTheMark() {
        let ruleset = TProxyRuleset(entries: [
            .init(appID: "app_b", proto: .udp, edgeAddress: nil, ports: .init("27015-27020")!, socketPort: 40002),
            .init(appID: "app_a", proto: .tcp, edgeAddress: IPAddress("198.18.1.1")!, ports: .init("3000-3009")!, socketPort: 40001),
            .init(appID: "app_c", proto: .tcp, edgeAddress: IPAddress("2001:db8::1")!, ports: .init("80-81")!, socketPort: 40003),
        ])
        #expect(ruleset.text == """
        table inet moat_proxy {}
        delete table inet moat_proxy
        table inet moat_proxy {
        \tchain prerouting {
        \t\ttype filter hook prerouting priority mangle; policy accept;
        \t\tmeta l4proto tcp socket transparent 1 meta mark set 0x4d50 accept
        \t\tip daddr 198.18.1.1 tcp dport 3000-3009 tproxy ip to :40001 meta mark set 0x4d50 accept comment "app_a"
        \t\tfib daddr type local udp dport 27015-27020 tproxy to :40002 meta mark set 0x4d50 accept comment "app_b"
        \t\tip6 daddr 2001:db8::1 tcp dport 80-81 tproxy ip6 to :40003 meta mark set 0x4d50 accept comment "app_c"
        \t}
        }

        """)
        #expect(TProxyRuleset.routingAdd(ipv6: false) == [["-4", "rule", "add", "fwmark", "0x4d50", "lookup", "19792"],
                                                           ["-4", "route", "replace", "local", "0.0.0.0/0", "dev", "lo", "table", "19792"]])
        #expect(TProxyRuleset.routingAdd(ipv6: true)[1] == ["-6", "route", "replace", "local", "::/0", "dev", "lo", "table", "19792"])
        #expect(TProxyRuleset.routingDelete(ipv6: true) == [["-6", "rule", "del", "fwmark", "0x4d50", "lookup", "19792"],
                                                            ["-6", "route", "flush", "table", "19792"]])
    }

    /// A control message as the kernel writes it: `cmsghdr` (length, level, type), then data,
    /// padded to the word size.
    static func controlMessage(level: Int32, type: Int32, data: [UInt8]) -> [UInt8] {
        let header = MemoryLayout<cmsghdr>.size
        var bytes = withUnsafeBytes(of: header + data.count) { Array($0) }
        bytes += withUnsafeBytes(of: level) { Array($0) } + withUnsafeBytes(of: type) { Array($0) }
        bytes += data
        while bytes.count % MemoryLayout<Int>.size != 0 { bytes.append(0) }
        return bytes
    }

    @Test func theOriginalDestinationComesFromItsControlMessageAmongOthers() {
        var v4 = sockaddr_in()
        v4.sin_family = sa_family_t(AF_INET)
        v4.sin_port = UInt16(3005).bigEndian
        v4.sin_addr.s_addr = UInt32(0xC612_0101).bigEndian  // 198.18.1.1
        let tos = Self.controlMessage(level: SOL_IP, type: 1, data: [0])  // IP_TOS first, to be skipped
        let original = Self.controlMessage(level: SOL_IP, type: 20, data: withUnsafeBytes(of: v4) { Array($0) })
        #expect(TransparentUDPSocket.originalDestination((tos + original)[...])?.description == "198.18.1.1:3005")

        var v6 = sockaddr_in6()
        v6.sin6_family = sa_family_t(AF_INET6)
        v6.sin6_port = UInt16(27016).bigEndian
        withUnsafeMutableBytes(of: &v6.sin6_addr) { $0[0] = 0x20; $0[1] = 0x01; $0[2] = 0x0d; $0[3] = 0xb8; $0[15] = 1 }
        let original6 = Self.controlMessage(level: Int32(IPPROTO_IPV6), type: 74, data: withUnsafeBytes(of: v6) { Array($0) })
        #expect(TransparentUDPSocket.originalDestination(original6[...])?.description == "[2001:db8::1]:27016")
    }

    @Test func controlMessagesWithoutTheOriginalDestinationOrCutShortGiveNone() {
        #expect(TransparentUDPSocket.originalDestination([][...]) == nil)
        #expect(TransparentUDPSocket.originalDestination(Self.controlMessage(level: SOL_IP, type: 1, data: [0])[...]) == nil)
        var v4 = sockaddr_in()
        v4.sin_family = sa_family_t(AF_INET)
        let whole = Self.controlMessage(level: SOL_IP, type: 20, data: withUnsafeBytes(of: v4) { Array($0) })
        #expect(TransparentUDPSocket.originalDestination(whole.dropLast(12)) == nil, "a length past the end is not read")
        // A length shorter than its own header must not loop forever.
        var zero = whole
        for index in 0..<MemoryLayout<Int>.size { zero[index] = 0 }
        #expect(TransparentUDPSocket.originalDestination(zero[...]) == nil)
    }
}
