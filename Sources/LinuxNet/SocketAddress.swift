#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 socket address, as the kernel takes it, for the TCP adapters. LinuxNet has no
/// model types: callers convert from their own address type.
package struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    package enum Host: Hashable, Sendable {
        case v4(UInt32)
        case v6(UInt128)
    }

    package var host: Host
    package var port: UInt16

    package init(_ host: Host, port: UInt16 = 0) {
        self.host = host
        self.port = port
    }

    package var family: Int32 {
        if case .v4 = host { return AF_INET }
        return AF_INET6
    }

    package var description: String {
        switch host {
        case .v4(let value):
            return "\(value >> 24).\((value >> 16) & 0xff).\((value >> 8) & 0xff).\(value & 0xff):\(port)"
        case .v6(let value):
            var raw = in6_addr()
            withUnsafeMutableBytes(of: &raw) { bytes in
                for index in 0..<16 { bytes[index] = UInt8(truncatingIfNeeded: value >> (120 - 8 * index)) }
            }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            _ = inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
            return "[\(String(cString: text))]:\(port)"
        }
    }

    /// The address alone, as `inet_ntop` writes it (no brackets, no port).
    package var hostText: String {
        switch host {
        case .v4(let value):
            return "\(value >> 24).\((value >> 16) & 0xff).\((value >> 8) & 0xff).\(value & 0xff)"
        case .v6:
            let text = description
            return String(text.dropFirst().prefix(while: { $0 != "]" }))
        }
    }

    /// Calls `body` with the address as a `sockaddr` and its length.
    package func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        switch host {
        case .v4(let value):
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = value.bigEndian
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6(let value):
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &address.sin6_addr) { bytes in
                for index in 0..<16 { bytes[index] = UInt8(truncatingIfNeeded: value >> (120 - 8 * index)) }
            }
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    /// Reads a `sockaddr_in` or `sockaddr_in6` (a v4-mapped IPv6 address reads as IPv4).
    package init?(_ storage: UnsafeRawPointer) {
        let family = Int32(storage.load(as: sockaddr.self).sa_family)
        if family == AF_INET {
            let address = storage.load(as: sockaddr_in.self)
            self.init(.v4(UInt32(bigEndian: address.sin_addr.s_addr)), port: UInt16(bigEndian: address.sin_port))
        } else if family == AF_INET6 {
            let address = storage.load(as: sockaddr_in6.self)
            let bytes = withUnsafeBytes(of: address.sin6_addr) { Array($0) }
            let port = UInt16(bigEndian: address.sin6_port)
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
                self.init(.v4(bytes[12...].reduce(UInt32(0)) { ($0 << 8) | UInt32($1) }), port: port)
            } else {
                self.init(.v6(bytes.reduce(UInt128(0)) { ($0 << 8) | UInt128($1) }), port: port)
            }
        } else {
            return nil
        }
    }

    /// The local address of a connected or bound socket.
    package static func local(of fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { return nil }
        return withUnsafeBytes(of: &storage) { SocketAddress($0.baseAddress!) }
    }
}
