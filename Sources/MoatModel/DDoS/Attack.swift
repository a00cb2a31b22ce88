import Foundation

/// One attack on one destination address as one edge saw it, from detection to its end: what
/// `GET /v1/accounts/{account}/attacks` lists. The edge names it and reports it as it goes
/// (detected, mitigated, updated, ended); core keeps the latest report.
public struct Attack: Codable, Equatable, Sendable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case active, ended
    }

    /// The drop rule's state.
    public enum Mitigation: String, Codable, Sendable, CaseIterable {
        /// Detected only (automatic mitigation off).
        case none
        case active
        /// Removed after the attack ended and the cool-down passed.
        case expired
        /// Kept by the operator until lifted.
        case pinned
        /// Removed by the operator.
        case lifted
    }

    public var id: String
    public var accountID: String?
    public var target: IPAddress
    /// The account prefix the target lies in.
    public var prefix: CIDR?
    public var status: Status
    public var startedAt: Date
    public var mitigatedAt: Date?
    public var endedAt: Date?
    public var fingerprint: AttackFingerprint?
    public var peakPacketsPerSecond: Int
    public var peakBitsPerSecond: Int
    /// Packets the mitigation rule dropped (kernel counter).
    public var packetsDropped: UInt64
    public var mitigation: Mitigation
    /// Filled in by core from the reporting edge.
    public var location: String?
    public var edgeID: String?

    enum CodingKeys: String, CodingKey {
        case id, target, prefix, status, fingerprint, mitigation, location
        case accountID = "account_id"
        case startedAt = "started_at"
        case mitigatedAt = "mitigated_at"
        case endedAt = "ended_at"
        case peakPacketsPerSecond = "peak_packets_per_second"
        case peakBitsPerSecond = "peak_bits_per_second"
        case packetsDropped = "packets_dropped"
        case edgeID = "edge_id"
    }

    public init(id: String, accountID: String?, target: IPAddress, prefix: CIDR?, status: Status = .active, startedAt: Date,
                mitigatedAt: Date? = nil, endedAt: Date? = nil, fingerprint: AttackFingerprint? = nil, peakPacketsPerSecond: Int = 0,
                peakBitsPerSecond: Int = 0, packetsDropped: UInt64 = 0, mitigation: Mitigation = .none, location: String? = nil,
                edgeID: String? = nil) {
        self.id = id
        self.accountID = accountID
        self.target = target
        self.prefix = prefix
        self.status = status
        self.startedAt = startedAt
        self.mitigatedAt = mitigatedAt
        self.endedAt = endedAt
        self.fingerprint = fingerprint
        self.peakPacketsPerSecond = peakPacketsPerSecond
        self.peakBitsPerSecond = peakBitsPerSecond
        self.packetsDropped = packetsDropped
        self.mitigation = mitigation
        self.location = location
        self.edgeID = edgeID
    }

    /// Attack ids are made by edges: `atk_` and 16 lowercase hex digits.
    public static func isValidID(_ id: String) -> Bool {
        id.count == 20 && id.hasPrefix("atk_") && id.dropFirst(4).allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}

/// The narrowest description of an attack's packets that the edge found: every field set here
/// must match (one value each, source prefixes any of them). Also shown as the nftables match.
public struct AttackFingerprint: Codable, Hashable, Sendable {
    public var target: IPAddress
    /// IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6).
    public var protocolNumber: UInt8?
    public var sourcePort: UInt16?
    public var destinationPort: UInt16?
    /// IP packet length, inclusive range.
    public var lengthMin: UInt16?
    public var lengthMax: UInt16?
    public var ttl: UInt8?
    /// The whole TCP flags byte.
    public var tcpFlags: UInt8?
    public var icmpType: UInt8?
    /// Only fragments.
    public var fragments: Bool
    public var sourcePrefixes: [CIDR]
    /// Share of the attack's sampled packets the fingerprint matches, 0–1.
    public var attackCoverage: Double
    /// Share of the target's sampled traffic before the attack that it would also drop, 0–1.
    public var baselineCoverage: Double
    /// The nftables match (for the target's address family), as installed.
    public var nft: String

    enum CodingKeys: String, CodingKey {
        case target, ttl, fragments, nft
        case protocolNumber = "protocol"
        case sourcePort = "source_port"
        case destinationPort = "destination_port"
        case lengthMin = "length_min"
        case lengthMax = "length_max"
        case tcpFlags = "tcp_flags"
        case icmpType = "icmp_type"
        case sourcePrefixes = "source_prefixes"
        case attackCoverage = "attack_coverage"
        case baselineCoverage = "baseline_coverage"
    }

    public init(target: IPAddress, protocolNumber: UInt8? = nil, sourcePort: UInt16? = nil, destinationPort: UInt16? = nil,
                lengthMin: UInt16? = nil, lengthMax: UInt16? = nil, ttl: UInt8? = nil, tcpFlags: UInt8? = nil, icmpType: UInt8? = nil,
                fragments: Bool = false, sourcePrefixes: [CIDR] = [], attackCoverage: Double = 0, baselineCoverage: Double = 0, nft: String = "") {
        self.target = target
        self.protocolNumber = protocolNumber
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.lengthMin = lengthMin
        self.lengthMax = lengthMax
        self.ttl = ttl
        self.tcpFlags = tcpFlags
        self.icmpType = icmpType
        self.fragments = fragments
        self.sourcePrefixes = sourcePrefixes
        self.attackCoverage = attackCoverage
        self.baselineCoverage = baselineCoverage
        self.nft = nft
    }

    /// True when nothing narrows it below the whole target address.
    public var isWholeTarget: Bool {
        protocolNumber == nil && sourcePort == nil && destinationPort == nil && lengthMin == nil && ttl == nil && tcpFlags == nil
            && icmpType == nil && !fragments && sourcePrefixes.isEmpty
    }
}

/// What core tells edges about attacks beyond their own detection: the operator's pins and
/// lifts, and other locations' mitigations when they are pushed everywhere.
public struct MitigationOverride: Codable, Equatable, Sendable {
    public enum Action: String, Codable, Sendable {
        /// Keep the attack's rule until lifted (install it if this edge has none).
        case pin
        /// Remove the attack's rule and do not mitigate this attack again.
        case lift
        /// Another location's mitigation, installed here until `expiresAt`.
        case push
    }

    public var attackID: String
    public var action: Action
    public var fingerprint: AttackFingerprint
    public var expiresAt: Date?

    enum CodingKeys: String, CodingKey {
        case action, fingerprint
        case attackID = "attack_id"
        case expiresAt = "expires_at"
    }

    public init(attackID: String, action: Action, fingerprint: AttackFingerprint, expiresAt: Date? = nil) {
        self.attackID = attackID
        self.action = action
        self.fingerprint = fingerprint
        self.expiresAt = expiresAt
    }
}
