import Foundation
import Logging
import MoatEdge
import MoatModel
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// An edge that cannot program TPROXY: single-port apps run, each ranged app is reported as
/// not served with the reason (in ``ProxyApplier/unservedApps`` and the metrics), and the
/// config still applies.
@Suite struct ProxyApplierRangeTests {
    static let reason = "port ranges need CAP_NET_ADMIN (run the edge as root)"

    static func app(_ id: String, ports: String) -> SpectrumApp {
        SpectrumApp(id: id, accountID: "acc_test",
                    spec: SpectrumAppSpec(name: id.replacingOccurrences(of: "_", with: "-"), proto: .tcp, edgeAddress: IPAddress("127.0.0.1")!,
                                          ports: .init(ports)!, origins: [.init(address: IPAddress("127.0.0.1")!, ports: .init("9")!)]),
                    at: Date())
    }

    /// A TCP port nothing listens on now.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func connects(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }

    @Test func singlePortsRunAndRangesAreReportedWithTheReason() async throws {
        let applier = ProxyApplier(threads: 1, drainTime: .milliseconds(10), logger: Logger(label: "test"), rangeSupport: { Self.reason })
        let port = Self.freePort()
        let single = Self.app("app_single", ports: String(port))
        let ranged = Self.app("app_ranged", ports: "41000-41010")
        let config = EdgeConfig(version: 1, location: "ams1", region: "WEUR", generatedAt: Date(), apps: [single, ranged])
        try await applier.prepare(config)
        try await applier.commit(config)

        #expect(applier.servedApps.map(\.id) == ["app_single"])
        #expect(Self.connects(port), "the single-port app listens")
        #expect(applier.unservedApps == ["app_ranged": Self.reason])
        #expect(applier.metricsText().contains("moat_edge_proxy_app_unserved{app=\"app_ranged\",reason=\"\(Self.reason)\"} 1"))

        // The ranged app goes: nothing is reported any more.
        try await applier.commit(EdgeConfig(version: 2, location: "ams1", region: "WEUR", generatedAt: Date(), apps: [single]))
        #expect(applier.unservedApps.isEmpty)
        #expect(!applier.metricsText().contains("moat_edge_proxy_app_unserved{"))
    }
}
