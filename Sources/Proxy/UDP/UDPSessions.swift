import Foundation
import MoatModel
import NIOCore
import NIOPosix

/// The session table of one UDP app on one event loop. A session is a client address and the
/// edge address and port it wrote to (one port of a range is one session); it has its own
/// socket to the origin, so replies find their client, and ends after the idle timeout. The
/// table is bounded per source (the app's `max_connections`) and in total; datagrams beyond
/// either are dropped and counted.
///
/// Replies leave through the app's listening socket, or, for a transparent socket that takes a
/// whole port range, through a socket of the session's own bound to the address and port the
/// client wrote to, so the client sees the answer come from there.
final class UDPSessions {
    enum ReplyPath {
        case listener
        case transparent
    }

    struct Key: Hashable {
        var client: SocketAddress
        var edge: SocketAddress
    }

    final class Session {
        let key: Key
        let clientAddress: IPAddress
        let origin: (index: Int, address: IPAddress, port: Int)
        var channel: Channel?
        /// The transparent reply socket, bound to `key.edge`.
        var reply: Channel?
        var pending: [ByteBuffer] = []
        var sentHeader = false
        var lastActive = NIODeadline.now()
        let start = Date()
        var bytesFromClient: UInt64 = 0
        var bytesToClient: UInt64 = 0

        init(key: Key, clientAddress: IPAddress, origin: (Int, IPAddress, Int)) {
            self.key = key
            self.clientAddress = clientAddress
            self.origin = origin
        }
    }

    let runtime: AppRuntime
    let maxSessions: Int
    let loop: EventLoop
    let path: ReplyPath
    /// The listening channel, which replies leave through on the `.listener` path.
    var listener: Channel?
    private var sessions: [Key: Session] = [:]
    private var sweeper: RepeatedTask?
    /// After ``stop()``: a batch the transparent socket's reader handed over late opens nothing.
    private var stopped = false
    /// Origin sockets written during this read burst: flushed together at its end, so the
    /// datagrams of a burst leave in as few system calls as NIO can batch them into.
    private var unflushed: [ObjectIdentifier: Channel] = [:]

    init(runtime: AppRuntime, maxSessions: Int, loop: EventLoop, path: ReplyPath) {
        self.runtime = runtime
        self.maxSessions = maxSessions
        self.loop = loop
        self.path = path
    }

    func start() {
        sweeper = loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [weak self] _ in self?.sweep() }
    }

    func stop() {
        stopped = true
        sweeper?.cancel()
        for session in sessions.values { end(session) }
        sessions = [:]
        listener = nil
    }

    /// A datagram from `client` to `edge`.
    func receive(_ data: ByteBuffer, from client: SocketAddress, to edge: SocketAddress) {
        guard !stopped else { return }
        let key = Key(client: client, edge: edge)
        let session: Session
        if let existing = sessions[key] {
            session = existing
        } else {
            let app = runtime.app
            // A transparent socket also answers on its own port; only the app's ports are the app.
            guard path == .listener || (edge.port.map { (app.ports.low...app.ports.high).contains($0) } ?? false) else {
                runtime.strays.add(1, ordering: .relaxed)
                return
            }
            guard let opened = open(key) else {
                runtime.droppedDatagrams.add(1, ordering: .relaxed)
                return
            }
            session = opened
        }
        session.lastActive = .now()
        session.bytesFromClient += UInt64(data.readableBytes)
        send(data, in: session)
    }

    /// The end of a read burst from clients.
    func endOfBurst() {
        for channel in unflushed.values { channel.flush() }
        unflushed.removeAll(keepingCapacity: true)
    }

    /// A reply from the origin, for `session`'s client.
    func reply(_ data: ByteBuffer, for session: Session) {
        var data = data
        if runtime.app.proxyProtocol == .simple, data.readableBytes >= ProxyHeader.simpleLength,
           data.getInteger(at: data.readerIndex, as: UInt16.self) == 0x56EC {
            data.moveReaderIndex(forwardBy: ProxyHeader.simpleLength)
        }
        session.lastActive = .now()
        session.bytesToClient += UInt64(data.readableBytes)
        let out: Channel? = path == .listener ? listener : session.reply
        out?.write(AddressedEnvelope(remoteAddress: session.key.client, data: data), promise: nil)
    }

    /// The end of a burst of replies from `session`'s origin.
    func flushReplies(for session: Session) {
        (path == .listener ? listener : session.reply)?.flush()
    }

    private func open(_ key: Key) -> Session? {
        guard let clientAddress = key.client.ipAddress.flatMap(IPAddress.init).map(ProxyHeader.unmapped), sessions.count < maxSessions else { return nil }
        guard runtime.admit(clientAddress) == .allow else { return nil }
        guard let origin = runtime.origins(for: clientAddress, port: key.edge.port ?? 0).first else {
            runtime.release(clientAddress)
            return nil
        }
        let session = Session(key: key, clientAddress: clientAddress, origin: origin)
        sessions[key] = session
        runtime.connected(origin.index)
        let ready: EventLoopFuture<Void> = path == .transparent ? bindReply(for: session) : loop.makeSucceededVoidFuture()
        ready.flatMapThrowing { _ in try SocketAddress(ipAddress: "\(origin.address)", port: origin.port) }
        .flatMap { [loop] target in
            DatagramBootstrap(group: loop)
                .channelInitializer { [weak self] channel in
                    guard let self else { return channel.eventLoop.makeSucceededVoidFuture() }
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(UDPOriginHandler(sessions: self, session: session))
                    }
                }
                .connect(to: target)
        }
        .whenComplete { [weak self] result in
            guard let self else { return }
            switch result {
            case .success(let channel):
                session.channel = channel
                let queued = session.pending
                session.pending = []
                for datagram in queued { self.send(datagram, in: session) }
                channel.flush()
            case .failure:
                // A reply socket that cannot bind is the edge's fault, not the origin's.
                if session.reply != nil || self.path == .listener { self.runtime.failed(origin.index) }
                self.close(session, status: .originUnreachable)
            }
        }
        return session
    }

    /// A socket bound to the address and port the client wrote to, for the session's replies.
    private func bindReply(for session: Session) -> EventLoopFuture<Void> {
        let edge = session.key.edge
        let host = edge.ipAddress ?? "::"
        return DatagramBootstrap(group: loop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(TransparentOption.option(forHost: host), value: 1)
            .channelInitializer { channel in
                // Nothing is read here: TPROXY sends the client's datagrams to the listener.
                channel.setOption(.autoRead, value: false)
            }
            .bind(to: edge)
            .map { channel in session.reply = channel }
    }

    private func send(_ data: ByteBuffer, in session: Session) {
        guard let channel = session.channel else {
            if session.pending.count < 64 { session.pending.append(data) } else { runtime.droppedDatagrams.add(1, ordering: .relaxed) }
            return
        }
        let app = runtime.app
        var payload = data
        if app.proxyProtocol == .simple || (app.proxyProtocol == .v2 && !session.sentHeader),
           let edgeAddress = session.key.edge.ipAddress.flatMap(IPAddress.init).map(ProxyHeader.unmapped) {
            let source = ProxyHeader.Endpoint(session.clientAddress, UInt16(session.key.client.port ?? 0))
            let destination = ProxyHeader.Endpoint(edgeAddress, UInt16(session.key.edge.port ?? 0))
            let header = app.proxyProtocol == .simple ? ProxyHeader.simple(source: source, destination: destination)
                                                       : ProxyHeader.v2(source: source, destination: destination, transport: .datagram)
            var framed = channel.allocator.buffer(capacity: header.count + data.readableBytes)
            framed.writeBytes(header)
            framed.writeImmutableBuffer(data)
            payload = framed
            session.sentHeader = true
        }
        channel.write(payload, promise: nil)
        unflushed[ObjectIdentifier(channel)] = channel
    }

    private func sweep() {
        let timeout = TimeAmount.seconds(Int64(runtime.app.idleTimeout))
        let now = NIODeadline.now()
        for session in sessions.values where now - session.lastActive > timeout { close(session, status: .normal) }
    }

    private func close(_ session: Session, status: ProxyEvent.Status) {
        guard sessions[session.key] === session else { return }
        sessions[session.key] = nil
        end(session, status: status)
    }

    private func end(_ session: Session, status: ProxyEvent.Status = .normal) {
        session.channel?.close(promise: nil)
        session.reply?.close(promise: nil)
        runtime.disconnected(session.origin.index)
        runtime.release(session.clientAddress)
        let app = runtime.app
        runtime.report(ProxyEvent(appID: app.id, proto: .udp, clientAddress: session.clientAddress, clientPort: session.key.client.port ?? 0,
                                  edgePort: session.key.edge.port ?? 0, originAddress: session.origin.address,
                                  originPort: session.origin.port, bytesFromClient: session.bytesFromClient, bytesToClient: session.bytesToClient,
                                  start: session.start, durationMs: Int(Date().timeIntervalSince(session.start) * 1000), status: status))
    }
}

/// The socket to the origin of one session: replies go back through the session table.
final class UDPOriginHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private weak var sessions: UDPSessions?
    private let session: UDPSessions.Session

    init(sessions: UDPSessions, session: UDPSessions.Session) {
        self.sessions = sessions
        self.session = session
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        sessions?.reply(unwrapInboundIn(data).data, for: session)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        sessions?.flushReplies(for: session)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // An ICMP port unreachable from the origin surfaces here; the session idles out.
    }
}
