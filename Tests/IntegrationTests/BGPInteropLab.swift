import BGP
import Foundation
import LinuxNet
import MoatModel
import NetLab
import Synchronization
import Testing

/// Two namespaces joined by a veth (IPv4 and IPv6), an upstream router in one and Moat's
/// speaker in the other: the setting every interop test runs in.
enum BGPInteropLab {
    /// Runs `body` with `kind` started in namespace `up`; everything is torn down afterwards,
    /// also when `body` throws.
    static func withUpstream(_ kind: UpstreamKind, peering: Peering,
                             _ body: (any UpstreamRouter, Namespace) async throws -> Void) async throws {
        try await withLab { lab in
            let upstream = try lab.addNamespace("up")
            let edge = try lab.addNamespace("edge")
            let link = try lab.addLink(upstream, interface: "eth0", to: edge, interface: "eth0")
            try lab.addAddress(peering.routerAddress + "/30", to: link.a)
            try lab.addAddress(peering.speakerAddress + "/30", to: link.b)
            try lab.addAddress(peering.routerAddressV6 + "/64", to: link.a)
            try lab.addAddress(peering.speakerAddressV6 + "/64", to: link.b)
            let directory = MoatBinary.temporaryDirectory("\(kind.rawValue.lowercased())-upstream").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let router = try kind.start(lab: lab, namespace: upstream, directory: directory, peering: peering)
            try await body(router, edge)
        }
    }

    /// Starts Moat's speaker on a thread inside `namespace` (the runner's own thread starts
    /// there too), with `md5` as its TCP MD5 key, offering graceful restart (RFC 4724) when
    /// `restartTime` is given. The one place the tests make a runner.
    static func startSpeaker(in namespace: Namespace, peering: Peering, md5: String?, announcement: Announcement,
                             restartTime: UInt16? = nil, restarting: Bool = false) throws -> BGPSessionRunner {
        try NetworkNamespace.onThread(in: namespace.name) {
            let restart = restartTime.map {
                GracefulRestartCapability(restarting: restarting, restartTime: $0, families: [.init(.ipv4Unicast), .init(.ipv6Unicast)])
            }
            let configuration = SessionConfiguration(localAS: peering.speakerAS, peerAS: peering.routerAS,
                                                     identifier: Self.identifier(peering.speakerAddress), holdTime: UInt16(peering.holdTime),
                                                     connectRetryTime: .seconds(1), idleHoldTime: .seconds(1),
                                                     families: [.ipv4Unicast, .ipv6Unicast], gracefulRestart: restart)
            return BGPSessionRunner(configuration: configuration,
                                    peer: .init(address: IPAddress(peering.routerAddress)!, localAddress: IPAddress(peering.speakerAddress), md5Key: md5),
                                    announcement: announcement)
        }
    }

    /// The speaker's BGP identifier: its IPv4 address as a number.
    private static func identifier(_ text: String) -> UInt32 {
        guard case .v4(let value) = IPAddress(text) else { preconditionFailure("\(text) is not an IPv4 address") }
        return value
    }

    /// Polls `condition` every `interval` until it holds or `timeout` passes; returns how long
    /// it took, or records an issue naming `what` and returns nil.
    @discardableResult
    static func waitFor(_ what: String, timeout: Duration, interval: Duration = .milliseconds(100),
                        _ condition: () throws -> Bool) throws -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < timeout {
            if try condition() { return ContinuousClock.now - start }
            Thread.sleep(forTimeInterval: Double(interval.components.attoseconds) / 1e18 + Double(interval.components.seconds))
        }
        Issue.record("timed out after \(timeout) waiting for \(what)")
        return nil
    }
}
