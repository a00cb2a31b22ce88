import Foundation
import MoatModel
import NIOCore
import NIOPosix

/// Listens for one UDP app. Each client address is a session with its own socket to the
/// origin, so replies find their client; sessions end after the idle timeout. The session
/// table is bounded per source (the app's `max_connections`) and in total; datagrams beyond
/// either are dropped and counted.
package final class UDPProxyListener: Sendable {
    package let runtime: AppRuntime
    private let channel: Channel
    package let port: Int

    private init(runtime: AppRuntime, channel: Channel) {
        self.runtime = runtime
        self.channel = channel
        port = channel.localAddress?.port ?? 0
    }

    package static func start(runtime: AppRuntime, host: String, port: Int, group: EventLoopGroup, maxSessions: Int = 100_000) async throws -> UDPProxyListener {
        let loop = group.next()
        let channel = try await DatagramBootstrap(group: loop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.datagramVectorReadMessageCount, value: 32)
            .channelOption(.maxMessagesPerRead, value: 32)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UDPFrontHandler(runtime: runtime, maxSessions: maxSessions))
                }
            }
            .bind(host: host, port: port).get()
        return UDPProxyListener(runtime: runtime, channel: channel)
    }

    package func stop() async {
        try? await channel.close()
    }
}

/// The listening socket's handler: session table, forwarding, idle sweep. Lives on one loop.
final class UDPFrontHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    final class Session {
        let client: SocketAddress
        let clientAddress: IPAddress
        let origin: (index: Int, address: IPAddress, port: Int)
        var channel: Channel?
        var pending: [ByteBuffer] = []
        var sentHeader = false
        var lastActive = NIODeadline.now()
        let start = Date()
        var bytesFromClient: UInt64 = 0
        var bytesToClient: UInt64 = 0

        init(client: SocketAddress, clientAddress: IPAddress, origin: (Int, IPAddress, Int)) {
            self.client = client
            self.clientAddress = clientAddress
            self.origin = origin
        }
    }

    let runtime: AppRuntime
    let maxSessions: Int
    private var sessions: [SocketAddress: Session] = [:]
    private var sweeper: RepeatedTask?
    private var context: ChannelHandlerContext?
    /// Origin sockets written during this read burst: flushed together at its end, so the
    /// datagrams of a burst leave in as few system calls as NIO can batch them into.
    private var unflushed: [ObjectIdentifier: Channel] = [:]

    init(runtime: AppRuntime, maxSessions: Int) {
        self.runtime = runtime
        self.maxSessions = maxSessions
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        sweeper = context.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [weak self] _ in self?.sweep() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        sweeper?.cancel()
        for session in sessions.values { end(session) }
        sessions = [:]
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let session: Session
        if let existing = sessions[envelope.remoteAddress] {
            session = existing
        } else {
            guard let opened = open(envelope.remoteAddress, context: context) else {
                runtime.droppedDatagrams.add(1, ordering: .relaxed)
                return
            }
            session = opened
        }
        session.lastActive = .now()
        session.bytesFromClient += UInt64(envelope.data.readableBytes)
        send(envelope.data, in: session)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        for channel in unflushed.values { channel.flush() }
        unflushed.removeAll(keepingCapacity: true)
        context.fireChannelReadComplete()
    }

    /// A reply from the origin, for `session`'s client.
    func reply(_ data: ByteBuffer, for session: Session) {
        guard let context else { return }
        var data = data
        if runtime.app.proxyProtocol == .simple, data.readableBytes >= ProxyHeader.simpleLength,
           data.getInteger(at: data.readerIndex, as: UInt16.self) == 0x56EC {
            data.moveReaderIndex(forwardBy: ProxyHeader.simpleLength)
        }
        session.lastActive = .now()
        session.bytesToClient += UInt64(data.readableBytes)
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: session.client, data: data)), promise: nil)
    }

    /// The end of a burst of replies from an origin.
    func flushReplies() {
        context?.flush()
    }

    private func open(_ client: SocketAddress, context: ChannelHandlerContext) -> Session? {
        guard let clientAddress = client.ipAddress.flatMap(IPAddress.init).map(ProxyHeader.unmapped), sessions.count < maxSessions else { return nil }
        guard runtime.admit(clientAddress) == .allow else { return nil }
        let edgePort = context.channel.localAddress?.port ?? 0
        guard let origin = runtime.origins(for: clientAddress, port: edgePort).first else {
            runtime.release(clientAddress)
            return nil
        }
        let session = Session(client: client, clientAddress: clientAddress, origin: origin)
        sessions[client] = session
        runtime.connected(origin.index)
        DatagramBootstrap(group: context.eventLoop)
            .channelInitializer { [weak self] channel in
                guard let self else { return channel.eventLoop.makeSucceededVoidFuture() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UDPOriginHandler(front: self, session: session))
                }
            }
            .connect(host: "\(origin.address)", port: origin.port)
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
                    self.runtime.failed(origin.index)
                    self.close(session, status: .originUnreachable)
                }
            }
        return session
    }

    private func send(_ data: ByteBuffer, in session: Session) {
        guard let channel = session.channel else {
            if session.pending.count < 64 { session.pending.append(data) } else { runtime.droppedDatagrams.add(1, ordering: .relaxed) }
            return
        }
        let app = runtime.app
        var payload = data
        if app.proxyProtocol == .simple || (app.proxyProtocol == .v2 && !session.sentHeader),
           let edge = context?.channel.localAddress, let edgeAddress = edge.ipAddress.flatMap(IPAddress.init).map(ProxyHeader.unmapped) {
            let source = ProxyHeader.Endpoint(session.clientAddress, UInt16(session.client.port ?? 0))
            let destination = ProxyHeader.Endpoint(edgeAddress, UInt16(edge.port ?? 0))
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
        guard sessions[session.client] === session else { return }
        sessions[session.client] = nil
        end(session, status: status)
    }

    private func end(_ session: Session, status: ProxyEvent.Status = .normal) {
        session.channel?.close(promise: nil)
        runtime.disconnected(session.origin.index)
        runtime.release(session.clientAddress)
        let app = runtime.app
        runtime.report(ProxyEvent(appID: app.id, proto: .udp, clientAddress: session.clientAddress, clientPort: session.client.port ?? 0,
                                  edgePort: context?.channel.localAddress?.port ?? 0, originAddress: session.origin.address,
                                  originPort: session.origin.port, bytesFromClient: session.bytesFromClient, bytesToClient: session.bytesToClient,
                                  start: session.start, durationMs: Int(Date().timeIntervalSince(session.start) * 1000), status: status))
    }
}

/// The socket to the origin of one session: replies go back through the front.
final class UDPOriginHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private weak var front: UDPFrontHandler?
    private let session: UDPFrontHandler.Session

    init(front: UDPFrontHandler, session: UDPFrontHandler.Session) {
        self.front = front
        self.session = session
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        front?.reply(unwrapInboundIn(data).data, for: session)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        front?.flushReplies()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // An ICMP port unreachable from the origin surfaces here; the session idles out.
    }
}
