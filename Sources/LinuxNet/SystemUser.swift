#if canImport(Glibc)
import Glibc
#endif

/// The user this process runs as.
package enum SystemUser {
    /// The effective user id.
    package static var effectiveUserID: UInt32 { geteuid() }

    /// Running as root, which creating network namespaces and loading rulesets needs.
    package static var isRoot: Bool { geteuid() == 0 }
}
