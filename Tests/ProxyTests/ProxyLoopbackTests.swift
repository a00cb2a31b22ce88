import Foundation
import MoatModel
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Proxy
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The proxy on real sockets (loopback): echo through it over TCP and UDP, failover to the
/// next origin, a change of the app while a connection is open, and a flood from one source
/// held by the limits while another client gets through. Every connection ends in an event.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ProxyLoopbackTests {
    final class Events: Sendable {
        private let box = NIOLockedValueBox<[ProxyEvent]>([])
        func add(_ event: ProxyEvent) { box.withLockedValue { $0.append(event) } }
        var all: [ProxyEvent] { box.withLockedValue { $0 } }
        func waitFor(_ count: Int) async throws -> [ProxyEvent] {
            for _ in 0..<500 where all.count < count { try await Task.sleep(for: .milliseconds(10)) }
            return all
        }
    }

    static func app(_ proto: SpectrumApp.TransportProtocol, origins: [Int], limits: SpectrumApp.SourceLimits = .init(),
                    rules: [SpectrumApp.IPRule] = [], idle: Int? = nil) -> SpectrumApp {
        SpectrumApp(id: "app_test", accountID: "acc_test",
                    spec: SpectrumAppSpec(name: "test", proto: proto, ports: .init(low: 1, high: 1),
                                          origins: origins.map { .init(address: IPAddress("127.0.0.1")!, ports: .init(low: $0, high: $0)) },
                                          ipRules: rules, idleTimeout: idle, sourceLimits: limits),
                    at: Date())
    }

    /// Polls `condition` every 10 ms for up to 5 s (loaded machines are slow, not wrong).
    static func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
    }

    /// A blocking client socket: connect, send, read what comes within a deadline.
    static func exchange(port: Int, send: String, expect count: Int) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { return "" }
        _ = send.withCString { Glibc.send(fd, $0, strlen($0), 0) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.count < count {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }

    @Test func tcpEchoesThroughTheProxyAndFailsOverToTheNextOrigin() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let echo = try await EchoServers.tcp(group: group, greeting: "B:")
        // An origin port nothing listens on: connects are refused, the next origin takes over.
        let deadPort = 1
        let events = Events()
        let runtime = AppRuntime(app: Self.app(.tcp, origins: [deadPort, echo.localAddress!.port!])) { events.add($0) }
        let listener = try await TCPProxyListener.start(runtime: runtime, host: "127.0.0.1", port: 0, group: group)
        let answer = try Self.exchange(port: listener.port, send: "ping", expect: 6)
        #expect(answer == "B:ping")
        let recorded = try await events.waitFor(1)
        #expect(recorded.first?.status == .normal)
        #expect(recorded.first?.originPort == echo.localAddress!.port!)
        #expect(recorded.first?.bytesFromClient == 4 && recorded.first?.bytesToClient == 6)
        #expect(runtime.originHealth[0] == true, "one refused connect does not fall an origin (fall 3)")

        // No origin at all: 502.
        runtime.update(Self.app(.tcp, origins: [deadPort]))
        #expect(try Self.exchange(port: listener.port, send: "x", expect: 1) == "")
        #expect(try await events.waitFor(2).last?.status == .originUnreachable)
        await listener.stop()
        try await echo.close()
        try await group.shutdownGracefully()
    }

    @Test func changingTheAppKeepsAnOpenConnection() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let first = try await EchoServers.tcp(group: group, greeting: "1")
        let second = try await EchoServers.tcp(group: group, greeting: "2")
        let runtime = AppRuntime(app: Self.app(.tcp, origins: [first.localAddress!.port!])) { _ in }
        let listener = try await TCPProxyListener.start(runtime: runtime, host: "127.0.0.1", port: 0, group: group)
        let received = NIOLockedValueBox("")
        // The collector is in place before the connection exists: the origin speaks first.
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(box: received)) } }
            .connect(host: "127.0.0.1", port: listener.port).get()
        try await Self.waitUntil { received.withLockedValue { $0 } == "1" }
        #expect(received.withLockedValue { $0 } == "1")

        runtime.update(Self.app(.tcp, origins: [second.localAddress!.port!], rules: [.init(action: .block, cidr: CIDR("10.0.0.0/8")!)]))
        try await channel.writeAndFlush(ByteBuffer(string: "still here")).get()
        try await Self.waitUntil { received.withLockedValue { $0 }.count >= 11 }
        #expect(received.withLockedValue { $0 } == "1still here", "the open connection still reaches the first origin")
        #expect(try Self.exchange(port: listener.port, send: "new", expect: 4) == "2new", "new connections go to the new origin")
        try await channel.close()
        await listener.stop()
        try await group.shutdownGracefully()
    }

    @Test func aFloodFromOneSourceIsHeldWhileAnotherClientGetsThrough() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let echo = try await EchoServers.tcp(group: group)
        let events = Events()
        let runtime = AppRuntime(app: Self.app(.tcp, origins: [echo.localAddress!.port!], limits: .init(maxConnections: 5))) { events.add($0) }
        // The flood comes from 127.0.0.1, the good client from 127.0.0.2: both loopback.
        let listener = try await TCPProxyListener.start(runtime: runtime, host: "0.0.0.0", port: 0, group: group)
        var flood: [Channel] = []
        for _ in 0..<40 {
            if let channel = try? await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: listener.port).get() { flood.append(channel) }
        }
        try await Self.waitUntil { events.all.filter { $0.status == .overLimit }.count >= 35 }
        let held = events.all.filter { $0.status == .overLimit }.count
        #expect(held >= 35, "\(held) of 40 refused")
        let good = try await ClientBootstrap(group: group).bind(to: SocketAddress(ipAddress: "127.0.0.2", port: 0))
            .connect(host: "127.0.0.1", port: listener.port).get()
        let received = NIOLockedValueBox("")
        try await good.pipeline.addHandler(Collector(box: received)).get()
        try await good.writeAndFlush(ByteBuffer(string: "hello")).get()
        try await Self.waitUntil { received.withLockedValue { $0 } == "hello" }
        #expect(received.withLockedValue { $0 } == "hello")
        for channel in flood { try? await channel.close() }
        try await good.close()
        await listener.stop()
        try await group.shutdownGracefully()
    }

    @Test func udpSessionsEchoAndEndAfterTheIdleTimeout() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let echo = try await EchoServers.udp(group: group)
        let events = Events()
        let runtime = AppRuntime(app: Self.app(.udp, origins: [echo.localAddress!.port!], idle: 1)) { events.add($0) }
        let listener = try await UDPProxyListener.start(runtime: runtime, host: "127.0.0.1", port: 0, group: group)
        let received = NIOLockedValueBox<[String]>([])
        let client = try await DatagramBootstrap(group: group)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(DatagramCollector(box: received)) } }
            .bind(host: "127.0.0.1", port: 0).get()
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: listener.port)
        // All five in one go on the client's event loop: a test task held up between them for
        // longer than the idle timeout would otherwise make two sessions.
        try await client.eventLoop.submit {
            for index in 0..<5 { client.write(AddressedEnvelope(remoteAddress: target, data: ByteBuffer(string: "d\(index)")), promise: nil) }
            client.flush()
        }.get()
        try await Self.waitUntil { received.withLockedValue { $0 }.count == 5 }
        #expect(received.withLockedValue { $0 }.sorted() == ["d0", "d1", "d2", "d3", "d4"])
        try await Self.waitUntil { events.all.count == 1 }
        let after = events.all
        #expect(after.count == 1 && after.first?.bytesFromClient == 10 && after.first?.bytesToClient == 10)
        // The datagrams took milliseconds: the session stayed open for the idle timeout after them
        // (asserted on its duration, not on when this task got to look).
        #expect((after.first?.durationMs ?? 0) >= 990, "\(after)")
        try await client.close()
        await listener.stop()
        try await group.shutdownGracefully()
    }

    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let box: NIOLockedValueBox<String>
        init(box: NIOLockedValueBox<String>) { self.box = box }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let text = String(buffer: unwrapInboundIn(data))
            box.withLockedValue { $0 += text }
        }
    }

    final class DatagramCollector: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let box: NIOLockedValueBox<[String]>
        init(box: NIOLockedValueBox<[String]>) { self.box = box }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let text = String(buffer: unwrapInboundIn(data).data)
            box.withLockedValue { $0.append(text) }
        }
    }

    @Test func activeChecksTakeADeadOriginOutAndBringItBack() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let echo = try await EchoServers.tcp(group: group)
        let port = echo.localAddress!.port!
        let runtime = AppRuntime(app: Self.app(.tcp, origins: [port, port])) { _ in }
        let listener = try await TCPProxyListener.start(runtime: runtime, host: "127.0.0.1", port: 0, group: group, checkInterval: .milliseconds(50))
        try await echo.close()
        for _ in 0..<250 where !runtime.noOriginHealthy { try await Task.sleep(for: .milliseconds(20)) }
        #expect(runtime.noOriginHealthy, "three failed checks take both origins out")
        let again = try await ServerBootstrap(group: group).serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: port).get()
        for _ in 0..<250 where runtime.noOriginHealthy { try await Task.sleep(for: .milliseconds(20)) }
        #expect(runtime.originHealth == [true, true], "two good checks bring them back")
        try await again.close()
        await listener.stop()
        try await group.shutdownGracefully()
    }
}
