/// The Graceful Restart capability (RFC 4724 §3): how long the peer asks us to keep its
/// routes while it restarts, and for which families it kept its forwarding state.
package struct GracefulRestartCapability: Hashable, Sendable {
    /// R bit: the sender has restarted (its routes may arrive anew).
    package var restarting: Bool
    /// N bit (RFC 8538 §2): the sender also applies graceful restart after a NOTIFICATION.
    package var notification: Bool
    /// Seconds, at most 4,095 (12 bits).
    package var restartTime: UInt16
    package var families: [Family]

    package struct Family: Hashable, Sendable {
        package var family: AddressFamily
        /// F bit: forwarding state was preserved across the restart.
        package var forwardingStatePreserved: Bool

        package init(_ family: AddressFamily, forwardingStatePreserved: Bool = false) {
            self.family = family
            self.forwardingStatePreserved = forwardingStatePreserved
        }
    }

    package init(restarting: Bool = false, notification: Bool = false, restartTime: UInt16, families: [Family] = []) {
        self.restarting = restarting
        self.notification = notification
        self.restartTime = min(restartTime, 0x0fff)
        self.families = families
    }

    /// Restart flags (4 bits) and time (12 bits), then AFI (2), SAFI (1), flags (1) per family.
    init?(_ value: [UInt8]) {
        guard value.count >= 2, (value.count - 2) % 4 == 0 else { return nil }
        var reader = ByteReader(value)
        guard let header = reader.u16() else { return nil }
        restarting = header & 0x8000 != 0
        notification = header & 0x4000 != 0
        restartTime = header & 0x0fff
        families = []
        while let afi = reader.u16(), let safi = reader.u8(), let flags = reader.u8() {
            families.append(Family(AddressFamily(afi: afi, safi: safi), forwardingStatePreserved: flags & 0x80 != 0))
        }
    }

    var value: [UInt8] {
        var bytes: [UInt8] = []
        bytes.put16((restarting ? 0x8000 : 0) | (notification ? 0x4000 : 0) | min(restartTime, 0x0fff))
        for entry in families {
            bytes.put16(entry.family.afi)
            bytes.append(entry.family.safi)
            bytes.append(entry.forwardingStatePreserved ? 0x80 : 0)
        }
        return bytes
    }
}
