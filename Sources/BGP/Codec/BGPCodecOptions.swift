/// What the two speakers agreed in their OPEN messages that changes how UPDATEs are read
/// and written. The session passes it in (`Negotiated.codecOptions`); nothing is global.
package struct BGPCodecOptions: Hashable, Sendable {
    /// Both sides sent the 4-octet AS capability (RFC 6793): AS_PATH and AGGREGATOR carry
    /// 4-octet AS numbers, and AS4_PATH / AS4_AGGREGATOR are neither sent nor accepted.
    package var fourOctetAS: Bool
    /// The AFI/SAFIs both sides announced (RFC 4760). MP_REACH_NLRI / MP_UNREACH_NLRI for
    /// any other family are discarded with an error the caller can log.
    package var families: Set<AddressFamily>
    /// The peer is in our AS (iBGP). From an external peer LOCAL_PREF is discarded
    /// (RFC 7606 §7.5).
    package var peerIsInternal: Bool

    package init(fourOctetAS: Bool, families: Set<AddressFamily>, peerIsInternal: Bool = false) {
        self.fourOctetAS = fourOctetAS
        self.families = families
        self.peerIsInternal = peerIsInternal
    }

    /// Before the OPEN exchange: 2-octet AS numbers, IPv4 unicast only (RFC 4760 §1: a
    /// speaker that did not negotiate multiprotocol capabilities speaks IPv4 unicast).
    package static let beforeNegotiation = BGPCodecOptions(fourOctetAS: false, families: [.ipv4Unicast])
}
