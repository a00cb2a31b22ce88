import Foundation
import MoatModel

#if canImport(Glibc)
import Glibc
#endif

/// Turns a traceroute target (an address or a host name) into the IPv4 address to trace.
enum TargetResolver {
    /// The address, or the name's first IPv4 address; the error names `targets[index]`.
    static func resolve(_ text: String, index: Int) async throws -> IPAddress {
        let field = "targets[\(index)]"
        if let address = IPAddress(text) {
            guard address.isIPv4 else { throw APIError.invalid("IPv6 targets are not supported yet: '\(text)'", field: field) }
            return address
        }
        guard text.count <= 253, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) else {
            throw APIError.invalid("'\(text)' is neither an IPv4 address nor a host name", field: field)
        }
        guard let address = await lookup(text) else {
            throw APIError(.badRequest, code: "unresolvable", "the host name '\(text)' has no IPv4 address", field: field)
        }
        return address
    }

    /// getaddrinfo off the cooperative pool: a slow resolver must not stall other requests.
    static func lookup(_ name: String) async -> IPAddress? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var hints = addrinfo()
                hints.ai_family = AF_INET
                hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
                var result: UnsafeMutablePointer<addrinfo>?
                guard getaddrinfo(name, nil, &hints, &result) == 0, let first = result else {
                    return continuation.resume(returning: nil)
                }
                defer { freeaddrinfo(result) }
                let address = first.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
                continuation.resume(returning: .v4(UInt32(bigEndian: address)))
            }
        }
    }
}
