import Foundation
import LinuxNet
import NetLab
import Testing

/// Spectrum on a real edge: `moat up` in a namespace serves apps made through the CLI, the
/// client in another namespace talks through it to origins on the customer router, HAProxy
/// (with `accept-proxy`) as the origin logs the real client address from the PROXY v2 header,
/// UDP echoes, and the event log in core shows each connection.
@Suite(.serialized, .timeLimit(.minutes(3)), .onLabThreads)
struct SpectrumEdgeTests {
    static func canRun(_ test: String) -> Bool {
        Requirements(Requirements.nft, Requirements.python, ["haproxy": "haproxy"]).met("SpectrumEdgeTests.\(test)")
    }

    static let echo = """
    import socket, sys, threading
    kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if kind == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((host, port))
        while True:
            data, peer = s.recvfrom(65535); s.sendto(data, peer)
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((host, port)); s.listen(16)
    def serve(c):
        while True:
            d = c.recv(65535)
            if not d: break
            c.sendall(d)
        c.close()
    while True:
        c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
    """

    static let client = """
    import socket, sys
    kind, host, port, text = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].encode()
    if kind == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2); s.sendto(text, (host, port)); print(s.recvfrom(65535)[0].decode())
    else:
        s = socket.create_connection((host, port), timeout=2); s.sendall(text); got = b""
        while len(got) < len(text):
            d = s.recv(65535)
            if not d: break
            got += d
        s.close(); print(got.decode())
    """

    @Test func appsProxyTCPWithProxyV2AndUDPAndTheEventLogShowsTheClient() async throws {
        guard Self.canRun("appsProxyTCPWithProxyV2AndUDPAndTheEventLogShowsTheClient") else { return }
        try await withLab { lab in
            let net = try TunnelLab(lab: lab, moat: MoatBinary.path, tunnelCount: 1)
            let scripts = lab.logDirectory + "/spectrum"
            try FileManager.default.createDirectory(atPath: scripts, withIntermediateDirectories: true)
            try Self.echo.write(toFile: scripts + "/echo.py", atomically: true, encoding: .utf8)
            try Self.client.write(toFile: scripts + "/client.py", atomically: true, encoding: .utf8)
            try """
            global
                log stdout format raw local0
            defaults
                mode tcp
                log global
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend origin
                bind 198.51.100.2:7001 accept-proxy
                log-format "client=%ci:%cp"
                default_backend echo
            backend echo
                server echo 127.0.0.1:7002

            """.write(toFile: scripts + "/haproxy.cfg", atomically: true, encoding: .utf8)
            try net.startEdge()
            let haproxy = try lab.start(in: net.customer, ["haproxy", "-db", "-f", scripts + "/haproxy.cfg"])
            _ = try lab.start(in: net.customer, [Lab.python, scripts + "/echo.py", "tcp", "127.0.0.1", "7002"])
            _ = try lab.start(in: net.customer, [Lab.python, scripts + "/echo.py", "udp", "198.51.100.2", "7003"])

            let web = try created(net, ["apps", "create", "web", "--tcp", "2222", "--origin", "198.51.100.2:7001", "--proxy-protocol", "v2"])
            _ = try created(net, ["apps", "create", "voice", "--udp", "2223", "--origin", "198.51.100.2:7003"])
            func talk(_ kind: String, _ port: Int, _ text: String) -> String {
                let result = try? lab.run(in: net.client, [Lab.python, scripts + "/client.py", kind, "198.18.1.1", String(port), text], timeout: .seconds(10))
                return result?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            }
            do {
                try net.waitUntil("the TCP app answers", timeout: .seconds(15)) { talk("tcp", 2222, "hello") == "hello" }
            } catch {
                let events = (try? net.client(["apps", "events", web, "--account", net.account, "--json"]).stdout) ?? ""
                let direct = (try? lab.run(in: net.edge, [Lab.python, scripts + "/client.py", "tcp", "198.51.100.2", "7001", "x"]))
                Issue.record("moat up's log:\n\(net.core.map(TunnelLab.log)?.suffix(3000) ?? "")\nhaproxy: \(TunnelLab.log(haproxy))\nevents: \(events)\nclient: \((try? lab.run(in: net.client, [Lab.python, scripts + "/client.py", "tcp", "198.18.1.1", "2222", "hello"]))?.stderr ?? "")\ndirect: \(direct?.stderr ?? "")")
                throw error
            }
            try net.waitUntil("HAProxy logged the client's own address from the PROXY v2 header") {
                TunnelLab.log(haproxy).contains("client=\(TunnelLab.clientAddress):")
            }
            #expect(talk("udp", 2223, "ping") == "ping")

            // The event log in core: the client's address, the origin, the bytes, status 200.
            try net.waitUntil("core lists the connection") {
                let events = try net.client(["apps", "events", web, "--account", net.account, "--json"]).stdout
                return events.contains("\"client_address\":\"\(TunnelLab.clientAddress)\"") && events.contains("\"status\":200")
                    && events.contains("\"origin_port\":7001") && events.contains("\"bytes_from_client\":5")
            }

            // A block rule applies to new connections at once; the event says 403.
            let blocked = try net.client(["apps", "update", web, "--rule", "block:198.18.1.0/30", "--account", net.account])
            #expect(blocked.succeeded, "apps update: \(blocked.stderr)")
            try net.waitUntil("the blocked client gets nothing") { talk("tcp", 2222, "again") == "" }
            try net.waitUntil("core lists the refusal") {
                try net.client(["apps", "events", web, "--account", net.account, "--json"]).stdout.contains("\"status\":403")
            }
        }
    }

    func created(_ net: TunnelLab, _ arguments: [String]) throws -> String {
        let result = try net.client(arguments + ["--account", net.account, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return try #require(object?["id"] as? String, "\(result.stderr)")
    }
}
