#if canImport(Glibc)
import Glibc
#endif

/// The addresses configured on this host's (this namespace's) interfaces.
package enum LocalAddresses {
    /// Every IPv4 address, as a number, from getifaddrs(3).
    package static func ipv4() -> Set<UInt32> {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }
        var addresses: Set<UInt32> = []
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            if let address = entry.pointee.ifa_addr, Int32(address.pointee.sa_family) == AF_INET {
                let value = UnsafeRawPointer(address).load(as: sockaddr_in.self).sin_addr.s_addr
                addresses.insert(UInt32(bigEndian: value))
            }
            cursor = entry.pointee.ifa_next
        }
        return addresses
    }
}
