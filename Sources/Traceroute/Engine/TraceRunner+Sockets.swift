import LinuxNet
import MoatModel
import Tunnels

#if canImport(Glibc)
import Glibc
#endif

extension TraceRunner {
    /// The raw sockets one job needs, opened for the families and packet type it traces.
    struct Sockets {
        var sender4: RawIPv4Socket?
        var sender6: RawIPv6Socket?
        var receivers4: [RawIPv4Socket] = []
        var receivers6: [RawIPv6Socket] = []

        init(flows: [TraceFlow], packetType: TracerouteOptions.PacketType) throws {
            if flows.contains(where: { !$0.isIPv6 }) {
                sender4 = try RawIPv4Socket(ipProtocol: Int32(IPPROTO_RAW), headerIncluded: true, receiveBuffer: 1 << 18)
                receivers4.append(try RawIPv4Socket(ipProtocol: Int32(IPPROTO_ICMP), headerIncluded: false, receiveBuffer: 1 << 20))
                if packetType == .tcp {
                    receivers4.append(try RawIPv4Socket(ipProtocol: Int32(IPPROTO_TCP), headerIncluded: false, receiveBuffer: 1 << 20))
                }
                if packetType == .gre {
                    // The customer router's answers come back encapsulated.
                    receivers4.append(try RawIPv4Socket(ipProtocol: Int32(IPv4Header.protocolGRE), headerIncluded: false, receiveBuffer: 1 << 20))
                }
            }
            if flows.contains(where: \.isIPv6) {
                sender6 = try RawIPv6Socket(ipProtocol: Int32(IPPROTO_RAW))
                receivers6.append(try RawIPv6Socket(ipProtocol: Int32(TraceProbeEncoder.protocolICMPv6)))
                if packetType == .tcp { receivers6.append(try RawIPv6Socket(ipProtocol: Int32(IPPROTO_TCP), checksumOffset: 16)) }
            }
        }

        var receiving: [Int32] { receivers4.map(\.fd) + receivers6.map(\.fd) }

        func send(_ packet: [UInt8], to destination: IPAddress) throws {
            switch destination {
            case .v4(let address): try packet.withUnsafeBytes { try sender4?.send($0, to: address) }
            case .v6(let address): try packet.withUnsafeBytes { try sender6?.send($0, to: address) }
            }
        }

        /// Reads everything queued on the `ready` descriptors, timing each answer as it is read.
        func drain(_ ready: [Int32], _ handle: (TraceReply, UInt64) throws -> Void) throws {
            var buffer = [UInt8](repeating: 0, count: 2048)
            for socket in receivers4 where ready.contains(socket.fd) {
                while true {
                    let count = try buffer.withUnsafeMutableBytes { try socket.receive(into: $0, pollTimeout: 0) }
                    guard count > 0 else { break }
                    let now = TraceRunner.now()
                    guard let reply = buffer.withUnsafeBytes({ TraceReply.parse(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }) else { continue }
                    try handle(reply, now)
                }
            }
            for socket in receivers6 where ready.contains(socket.fd) {
                while let received = try buffer.withUnsafeMutableBytes({ try socket.receive(into: $0) }) {
                    let now = TraceRunner.now()
                    guard let destination = received.destination else { continue }
                    let reply = buffer.withUnsafeBytes {
                        TraceReply.parseIPv6(UnsafeRawBufferPointer(rebasing: $0[0..<received.count]), ipProtocol: UInt8(socket.ipProtocol),
                                             source: .v6(received.source), destination: .v6(destination))
                    }
                    if let reply { try handle(reply, now) }
                }
            }
        }
    }
}
