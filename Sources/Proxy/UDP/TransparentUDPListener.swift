import LinuxNet
import NIOCore
import NIOPosix

/// Listens for one UDP app on a whole port range: nftables TPROXY sends the range to one
/// transparent socket, which reports where each datagram was going (see
/// ``TransparentUDPSocket``); the session table maps that port onto the origin's.
package final class TransparentUDPListener: Sendable {
    package let runtime: AppRuntime
    private let socket: TransparentUDPSocket
    private let sessions: NIOLoopBound<UDPSessions>
    package var port: Int { Int(socket.port) }
    /// Datagrams the kernel gave without an original destination.
    package var malformed: Int { socket.malformed.load(ordering: .relaxed) }

    private init(runtime: AppRuntime, socket: TransparentUDPSocket, sessions: NIOLoopBound<UDPSessions>) {
        self.runtime = runtime
        self.socket = socket
        self.sessions = sessions
    }

    /// Binds a transparent socket on a free port of every address (IPv6 with IPv4-mapped
    /// addresses, or IPv4 only when `dualStack` is false). Needs CAP_NET_ADMIN.
    package static func start(runtime: AppRuntime, group: EventLoopGroup, dualStack: Bool = true, maxSessions: Int = 100_000) async throws -> TransparentUDPListener {
        let loop = group.next()
        let socket = try TransparentUDPSocket(dualStack: dualStack)
        let sessions = try await loop.submit {
            let sessions = UDPSessions(runtime: runtime, maxSessions: maxSessions, loop: loop, path: .transparent)
            sessions.start()
            return NIOLoopBound(sessions, eventLoop: loop)
        }.get()
        socket.run { datagrams in
            loop.execute {
                let table = sessions.value
                for datagram in datagrams {
                    guard let client = try? NIOCore.SocketAddress(ipAddress: datagram.source.hostText, port: Int(datagram.source.port)),
                          let edge = try? NIOCore.SocketAddress(ipAddress: datagram.originalDestination.hostText, port: Int(datagram.originalDestination.port)) else {
                        runtime.droppedDatagrams.add(1, ordering: .relaxed)
                        continue
                    }
                    table.receive(ByteBuffer(bytes: datagram.bytes), from: client, to: edge)
                }
                table.endOfBurst()
            }
        }
        return TransparentUDPListener(runtime: runtime, socket: socket, sessions: sessions)
    }

    package func stop() async {
        socket.stop()
        let sessions = self.sessions
        try? await sessions.eventLoop.submit { sessions.value.stop() }.get()
    }
}
