import Foundation
import MoatModel
import NIOCore
import NIOPosix

/// Listens for one TCP app and joins each client to an origin: access check, origin choice
/// with failover to the next origin, the PROXY header, then bytes both ways until either side
/// closes or the connection idles out. Every connection ends in one ``ProxyEvent``.
package final class TCPProxyListener: Sendable {
    package let runtime: AppRuntime
    private let channel: Channel
    package let port: Int
    private let checker: OriginChecker?

    private init(runtime: AppRuntime, channel: Channel, checker: OriginChecker?) {
        self.runtime = runtime
        self.channel = channel
        self.checker = checker
        port = channel.localAddress?.port ?? 0
    }

    /// Binds `host`:`port` (port 0: any free port). With `checkInterval`, origins are also
    /// checked actively (a TCP connect each interval). A `transparent` socket takes the
    /// connections nftables TPROXY sends it for the app's whole port range: each accepted
    /// connection's local address is the one the client dialled.
    package static func start(runtime: AppRuntime, host: String, port: Int, group: EventLoopGroup,
                              connectTimeout: TimeAmount = .seconds(5), checkInterval: TimeAmount? = nil,
                              transparent: Bool = false) async throws -> TCPProxyListener {
        var bootstrap = ServerBootstrap(group: group)
        if transparent { bootstrap = bootstrap.serverChannelOption(TransparentOption.option(forHost: host), value: 1) }
        let channel = try await bootstrap
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { child in
                accept(child, runtime: runtime, connectTimeout: connectTimeout, transparent: transparent)
                return child.eventLoop.makeSucceededVoidFuture()
            }
            .bind(host: host, port: port).get()
        let checker = checkInterval.map { OriginChecker(runtime: runtime, loop: channel.eventLoop, interval: $0, timeout: min($0, TimeAmount.seconds(2))) }
        return TCPProxyListener(runtime: runtime, channel: channel, checker: checker)
    }

    /// Stops accepting and checking; open connections carry on.
    package func stop() async {
        checker?.stop()
        try? await channel.close()
    }

    private static func accept(_ child: Channel, runtime: AppRuntime, connectTimeout: TimeAmount, transparent: Bool) {
        let start = Date()
        guard let remote = child.remoteAddress, let client = remote.ipAddress.flatMap(IPAddress.init).map(ProxyHeader.unmapped),
              let local = child.localAddress else {
            child.close(promise: nil)
            return
        }
        let app = runtime.app
        let edgePort = local.port ?? 0
        // A transparent socket also answers on its own port; only the app's ports are the app.
        guard !transparent || (app.ports.low...app.ports.high).contains(edgePort) else {
            runtime.strays.add(1, ordering: .relaxed)
            child.close(promise: nil)
            return
        }
        var event = ProxyEvent(appID: app.id, proto: .tcp, clientAddress: client, clientPort: remote.port ?? 0, edgePort: edgePort,
                               start: start, status: .normal)
        let verdict = runtime.admit(client)
        guard verdict == .allow else {
            event.status = verdict == .blocked ? .blocked : .overLimit
            runtime.report(event)
            child.close(promise: nil)
            return
        }
        runtime.track(child)
        let candidates = runtime.origins(for: client, port: edgePort)
        connect(candidates[...], on: child.eventLoop, timeout: connectTimeout, runtime: runtime, lastStatus: .originUnreachable).whenComplete { result in
            switch result {
            case .failure(let failure):
                event.status = (failure as? OriginFailure)?.status ?? .originUnreachable
                event.durationMs = Int(Date().timeIntervalSince(start) * 1000)
                runtime.release(client)
                runtime.untrack(child)
                runtime.report(event)
                child.close(promise: nil)
            case .success(let (origin, index, address, port)):
                event.originAddress = address
                event.originPort = port
                join(child, origin, index: index, event: event, app: app, local: local, runtime: runtime)
            }
        }
    }

    private struct OriginFailure: Error { var status: ProxyEvent.Status }

    /// Tries the origins in order; a refused or timed-out connect marks the origin and moves on.
    private static func connect(_ candidates: ArraySlice<(index: Int, address: IPAddress, port: Int)>, on loop: EventLoop, timeout: TimeAmount,
                                runtime: AppRuntime, lastStatus: ProxyEvent.Status)
        -> EventLoopFuture<(Channel, Int, IPAddress, Int)> {
        guard let next = candidates.first else { return loop.makeFailedFuture(OriginFailure(status: lastStatus)) }
        // An origin is an address: connect to it directly, not through `connect(host:)`, whose
        // resolver and Happy Eyeballs timers cost more than the connection itself.
        let target: SocketAddress
        do {
            target = try SocketAddress(ipAddress: "\(next.address)", port: next.port)
        } catch {
            runtime.failed(next.index)
            return connect(candidates.dropFirst(), on: loop, timeout: timeout, runtime: runtime, lastStatus: .originUnreachable)
        }
        return ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelOption(.autoRead, value: false)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(to: target)
            .map { ($0, next.index, next.address, next.port) }
            .flatMapError { error in
                runtime.failed(next.index)
                let status: ProxyEvent.Status = (error as? ChannelError).map { if case .connectTimeout = $0 { return .originTimeout } else { return .originUnreachable } }
                    ?? .originUnreachable
                return connect(candidates.dropFirst(), on: loop, timeout: timeout, runtime: runtime, lastStatus: status)
            }
    }

    private static func join(_ child: Channel, _ origin: Channel, index: Int, event: ProxyEvent, app: SpectrumApp, local: SocketAddress, runtime: AppRuntime) {
        runtime.connected(index)
        let (clientSide, originSide) = GlueHandler.matchedPair()
        var event = event
        var firstClosed: GlueHandler?
        clientSide.onInactive = { side in if firstClosed == nil { firstClosed = side } }
        originSide.onInactive = { side in if firstClosed == nil { firstClosed = side } }
        if let header = proxyHeader(app.proxyProtocol, event: event, local: local) {
            origin.write(ByteBuffer(bytes: header), promise: nil)
        }
        do {
            try child.pipeline.syncOperations.addHandlers([
                IdleStateHandler(allTimeout: .seconds(Int64(app.idleTimeout))), IdleCloser(), clientSide,
            ])
            try origin.pipeline.syncOperations.addHandler(originSide)
        } catch {
            child.close(promise: nil)
            origin.close(promise: nil)
        }
        // Both channels live on this event loop: their options are set in place.
        try? child.syncOptions?.setOption(.autoRead, value: true)
        try? origin.syncOptions?.setOption(.autoRead, value: true)
        child.closeFuture.and(origin.closeFuture).whenComplete { _ in
            event.bytesFromClient = clientSide.bytesRead
            event.bytesToClient = originSide.bytesRead
            event.durationMs = Int(Date().timeIntervalSince(event.start) * 1000)
            if firstClosed === originSide && originSide.failed {
                event.status = .originReset
            } else if firstClosed === clientSide && clientSide.failed {
                event.status = .clientReset
            }
            runtime.disconnected(index)
            runtime.release(event.clientAddress)
            runtime.untrack(child)
            runtime.report(event)
        }
    }

    static func proxyHeader(_ mode: SpectrumApp.ProxyProtocol, event: ProxyEvent, local: SocketAddress) -> [UInt8]? {
        guard mode == .v1 || mode == .v2, let edge = local.ipAddress.flatMap(IPAddress.init).map(ProxyHeader.unmapped) else { return nil }
        let source = ProxyHeader.Endpoint(event.clientAddress, UInt16(event.clientPort))
        let destination = ProxyHeader.Endpoint(edge, UInt16(event.edgePort))
        return mode == .v1 ? ProxyHeader.v1(source: source, destination: destination)
                           : ProxyHeader.v2(source: source, destination: destination, transport: .stream)
    }
}

/// Closes a connection that saw no traffic for its idle timeout.
final class IdleCloser: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
