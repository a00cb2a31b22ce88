import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The user this process runs as.
package enum SystemUser {
    /// The effective user id.
    package static var effectiveUserID: UInt32 { geteuid() }

    /// Running as root, which creating network namespaces and loading rulesets needs.
    package static var isRoot: Bool { geteuid() == 0 }

    /// Whether the process holds CAP_NET_ADMIN (bit 12 of `CapEff` in `/proc/self/status`),
    /// which nftables, policy routing and transparent sockets need.
    package static var hasNetAdmin: Bool {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let mask = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return isRoot }
        return mask & (1 << 12) != 0
    }
}
