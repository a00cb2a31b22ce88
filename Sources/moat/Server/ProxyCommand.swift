import ArgumentParser
import Foundation
import MoatModel
import NIOPosix
import Proxy

/// One Spectrum app without core or config: for trying an origin, and for the benchmark.
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Proxy one TCP or UDP port to origins with Moat's edge proxy, without core.",
        discussion: """
        Example: moat proxy --tcp 0.0.0.0:25565 --origin 192.0.2.10:25565 --origin 192.0.2.11:25565 --proxy-protocol v2
        It runs until SIGTERM or Ctrl-C; with --events each finished connection is printed as a JSON line.
        """)

    @Option(help: "Listen for TCP on HOST:PORT.") var tcp: String?
    @Option(help: "Listen for UDP on HOST:PORT.") var udp: String?
    @Option(help: "An origin, ADDRESS:PORT (repeat for several).") var origin: [String] = []
    @Option(help: "round_robin, least_connections, hash or random_two.") var loadBalancing: String = "round_robin"
    @Option(help: "off, v1, v2 (and simple for UDP).") var proxyProtocol: String = "off"
    @Option(help: "Idle timeout in seconds.") var idleTimeout: Int?
    @Option(help: "Event loop threads.") var threads: Int = 1
    @Flag(help: "Print each finished connection as a JSON line.") var events = false

    func validate() throws {
        guard (tcp == nil) != (udp == nil) else { throw ValidationError("give exactly one of --tcp and --udp") }
        guard !origin.isEmpty else { throw ValidationError("give at least one --origin ADDRESS:PORT") }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be 1-64") }
    }

    func run() async throws {
        let listen = (tcp ?? udp)!
        guard let address = ListenAddress(argument: listen) else { throw CLIError("'\(listen)' is not HOST:PORT") }
        var body: [String: JSONValue] = [
            "name": .string("proxy"), "protocol": .string(tcp != nil ? "tcp" : "udp"), "ports": .string(String(address.port)),
            "load_balancing": .string(loadBalancing), "proxy_protocol": .string(proxyProtocol),
        ]
        body["origins"] = .array(try origin.map { text in
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
                throw CLIError("--origin '\(text)' is not ADDRESS:PORT")
            }
            let host = text[..<colon].trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            return .object(["address": .string(host), "port": .string(String(port))])
        })
        if let idleTimeout { body["idle_timeout"] = .number(Double(idleTimeout)) }
        let spec: SpectrumAppSpec
        do { spec = try SpectrumAppSpec(json: .object(body)) } catch {
            throw CLIError("\(error.field.map { "--\($0.replacingOccurrences(of: "_", with: "-")): " } ?? "")\(error.message)")
        }
        let app = SpectrumApp(id: "app_local", accountID: "local", spec: spec, at: Date())
        let printEvents = events
        let encoder = MoatJSON.encoder()
        let runtime = AppRuntime(app: app) { event in
            guard printEvents, let line = try? encoder.encode(event) else { return }
            FileHandle.standardOutput.write(line + Data("\n".utf8))
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let stop = StopSignals()
        if app.proto == .tcp {
            let listener = try await TCPProxyListener.start(runtime: runtime, host: address.host, port: address.port, group: group)
            FileHandle.standardError.write(Data("moat proxy: tcp \(address.host):\(listener.port) → \(origin.joined(separator: ", "))\n".utf8))
            await stop.stopped()
            await listener.stop()
        } else {
            let listener = try await UDPProxyListener.start(runtime: runtime, host: address.host, port: address.port, group: group)
            FileHandle.standardError.write(Data("moat proxy: udp \(address.host):\(listener.port) → \(origin.joined(separator: ", "))\n".utf8))
            await stop.stopped()
            await listener.stop()
        }
        try await group.shutdownGracefully()
    }
}
