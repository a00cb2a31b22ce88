import Foundation
import MoatModel

#if canImport(Glibc)
import Glibc
#endif

/// Turns a traceroute target (an address or a host name) into the IPv4 or IPv6 address to trace.
enum TargetResolver {
    /// The address, or the name's first IPv4 address (its first IPv6 address when it has none);
    /// the error names `targets[index]`.
    static func resolve(_ text: String, index: Int) async throws -> IPAddress {
        let field = "targets[\(index)]"
        if let address = IPAddress(text) { return address }
        guard text.count <= 253, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) else {
            throw APIError.invalid("'\(text)' is neither an IP address nor a host name", field: field)
        }
        var found = await lookup(text, family: AF_INET)
        if found == nil { found = await lookup(text, family: AF_INET6) }
        guard let address = found else {
            throw APIError(.badRequest, code: "unresolvable", "the host name '\(text)' has no IPv4 or IPv6 address", field: field)
        }
        return address
    }

    /// getaddrinfo off the cooperative pool: a slow resolver must not stall other requests.
    static func lookup(_ name: String, family: Int32) async -> IPAddress? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var hints = addrinfo()
                hints.ai_family = family
                hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
                var result: UnsafeMutablePointer<addrinfo>?
                guard getaddrinfo(name, nil, &hints, &result) == 0, let first = result else {
                    return continuation.resume(returning: nil)
                }
                defer { freeaddrinfo(result) }
                let address: IPAddress
                if family == AF_INET {
                    let raw = first.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
                    address = .v4(UInt32(bigEndian: raw))
                } else {
                    let raw = first.pointee.ai_addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    address = .v6(withUnsafeBytes(of: raw) { $0.reduce(UInt128(0)) { $0 << 8 | UInt128($1) } })
                }
                continuation.resume(returning: address)
            }
        }
    }
}
