import Foundation
import LinuxNet
import MoatModel
import Synchronization

/// Accepts BGP connections on port 179 (IPv4 and IPv6 sockets) and hands each to the session
/// of the peer it comes from. A connection from an address that is no configured peer is
/// closed at once; a peer with an MD5 key must sign its SYN, or the kernel drops it.
package final class BGPListener: Sendable {
    private let sockets: [TCPListener]
    private let route: @Sendable (IPAddress) -> BGPSessionRunner?
    private let running = Atomic<Bool>(true)
    private let refused = Atomic<Int>(0)
    private let finished: [DispatchSemaphore]

    /// Listens on `port`, on IPv4, IPv6 or both.
    package init(port: UInt16, ipv4: Bool, ipv6: Bool, route: @escaping @Sendable (IPAddress) -> BGPSessionRunner?) throws(SystemCallError) {
        var sockets: [TCPListener] = []
        if ipv4 { sockets.append(try TCPListener(address: SocketAddress(.v4(0), port: port))) }
        if ipv6 { sockets.append(try TCPListener(address: SocketAddress(.v6(0), port: port))) }
        self.sockets = sockets
        self.route = route
        finished = sockets.map { _ in DispatchSemaphore(value: 0) }
        for (index, socket) in sockets.enumerated() {
            let done = finished[index]
            let thread = Thread { [self] in
                self.accept(on: socket)
                done.signal()
            }
            thread.name = "bgp-listen-\(port)"
            thread.start()
        }
    }

    /// Connections refused because they came from no configured peer.
    package var refusedConnections: Int { refused.load(ordering: .relaxed) }

    /// Sets the MD5 key a peer must sign with (empty: none).
    package func setMD5(peer: IPAddress, key: String) throws(SystemCallError) {
        for socket in sockets where (socket.address.family == AF_INET) == peer.isIPv4 {
            try socket.setMD5(peer: peer.socketHost, key: key)
        }
    }

    package func stop() {
        running.store(false, ordering: .relaxed)
        for done in finished { done.wait() }
    }

    private func accept(on socket: TCPListener) {
        while running.load(ordering: .relaxed) {
            guard let connection = try? socket.accept(pollTimeout: 100) else { continue }
            let address = connection.remote.host.ipAddress
            if let runner = route(address) {
                runner.incoming(connection)
            } else {
                refused.add(1, ordering: .relaxed)
            }
        }
    }
}
