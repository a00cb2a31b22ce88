import Foundation
import MoatModel
import NIOCore
import NIOPosix

/// Listens for one UDP app on one port; ``UDPSessions`` does the proxying.
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
                    let sessions = UDPSessions(runtime: runtime, maxSessions: maxSessions, loop: channel.eventLoop, path: .listener)
                    try channel.pipeline.syncOperations.addHandler(UDPFrontHandler(sessions: sessions))
                }
            }
            .bind(host: host, port: port).get()
        return UDPProxyListener(runtime: runtime, channel: channel)
    }

    package func stop() async {
        try? await channel.close()
    }
}

/// The listening socket's handler: hands datagrams to the session table, whose replies leave
/// through this channel.
final class UDPFrontHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    let sessions: UDPSessions
    private var local: SocketAddress?

    init(sessions: UDPSessions) {
        self.sessions = sessions
    }

    func handlerAdded(context: ChannelHandlerContext) {
        sessions.listener = context.channel
        sessions.start()
    }

    func channelActive(context: ChannelHandlerContext) {
        local = context.channel.localAddress
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        sessions.stop()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let edge = local ?? context.channel.localAddress else { return }
        local = edge
        sessions.receive(envelope.data, from: envelope.remoteAddress, to: edge)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        sessions.endOfBurst()
        context.fireChannelReadComplete()
    }
}
