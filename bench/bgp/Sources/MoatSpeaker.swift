import BGP
import Foundation
import LinuxNet
import MoatModel
import NetLab
import Synchronization

/// Moat's own speaker (`BGPSessionRunner`) in the speaker namespace.
enum MoatSpeaker {
    static func announcement(_ prefixes: [CIDR]) -> Announcement {
        Announcement(prefixes: prefixes, nextHopV4: IPAddress(BIRDUpstream.speakerAddress), nextHopV6: IPAddress(BIRDUpstream.speakerAddressV6),
                     communities: [BenchPrefixes.community])
    }

    /// Starts a runner on a thread inside `namespace`; its own thread starts there too.
    static func start(in namespace: Namespace, announcement: Announcement) throws -> BGPSessionRunner {
        try NetworkNamespace.onThread(in: namespace.name) {
            let configuration = SessionConfiguration(localAS: BIRDUpstream.speakerAS, peerAS: BIRDUpstream.routerAS,
                                                     identifier: 0x0a5a_0002, holdTime: 90, connectRetryTime: .seconds(1),
                                                     idleHoldTime: .seconds(1), families: [.ipv4Unicast, .ipv6Unicast])
            let peer = BGPSessionRunner.Peer(address: .v4(0x0a5a_0001), localAddress: .v4(0x0a5a_0002))
            return BGPSessionRunner(configuration: configuration, peer: peer, announcement: announcement)
        }
    }

    /// One round: announce to an established session, then connect with everything announced.
    static func round(_ bird: BIRDUpstream, prefixes: [CIDR], timeout: Duration) throws -> RoundResult {
        // update → all: the session is up with nothing announced; then all at once.
        let idle = try start(in: bird.speaker, announcement: announcement([]))
        defer { idle.stop() }
        try bird.waitUntil("Moat's session to BIRD", timeout: timeout) { try idle.state == .established && bird.status().established }
        let announced = ContinuousClock.now
        idle.update(announcement(prefixes))
        let update = try bird.timeToImport(prefixes.count, from: announced, timeout: timeout)
        idle.stop()
        try bird.waitUntilEmpty(timeout: timeout)
        try bird.restartSession(timeout: timeout)

        // connect → all: a new speaker with everything in its announcement from the start.
        let started = ContinuousClock.now
        let full = try start(in: bird.speaker, announcement: announcement(prefixes))
        defer { full.stop() }
        let connect = try bird.timeToImport(prefixes.count, from: started, timeout: timeout)
        full.stop()
        try bird.waitUntilEmpty(timeout: timeout)
        try bird.restartSession(timeout: timeout)
        return RoundResult(update: update.all, connect: connect.all, connectToEstablished: connect.established)
    }
}

/// The seconds one round of a speaker took.
struct RoundResult {
    /// From the announcement on an established session until BIRD imported them all.
    var update: Double
    /// From starting the session until BIRD imported them all.
    var connect: Double
    /// From starting the session until BIRD saw it Established (at BIRD's polling resolution).
    var connectToEstablished: Double
    /// The part of `connect` after the session came up: the routes' transfer alone.
    var establishedToAll: Double { connect - connectToEstablished }
}

/// The prefixes announced: half IPv4 /24s from 100.64.0.0/10, half IPv6 /48s from 2001:db8::/32.
enum BenchPrefixes {
    static let community = Community(65010, 100)
    static let maximum = 32_768

    static func make(_ count: Int) -> [CIDR] {
        let v4 = count / 2
        let v6 = count - v4
        var prefixes: [CIDR] = []
        prefixes.reserveCapacity(count)
        for index in 0..<v4 {
            prefixes.append(try! CIDR(address: .v4(0x6440_0000 + UInt32(index) << 8), length: 24))
        }
        for index in 0..<v6 {
            prefixes.append(try! CIDR(address: .v6(UInt128(0x2001_0db8) << 96 | UInt128(index) << 80), length: 48))
        }
        return prefixes
    }
}
