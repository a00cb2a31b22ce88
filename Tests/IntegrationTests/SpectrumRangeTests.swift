import Foundation
import LinuxNet
import NetLab
import Testing

/// Port ranges on a real edge: `moat up` (as root) in the edge namespace serves a TCP and a UDP
/// app on ports 3000-3004 through nftables TPROXY; the client namespace dials several ports of
/// the range on the edge address, and the origin in the customer namespace sees each on the
/// mapped port 7000-7004, with the client's own address and the port it dialled in the PROXY
/// v2 header. UDP replies come back from the address and port the client wrote to (its socket
/// is connected, so the kernel would drop anything else). Deleting the apps removes the table;
/// stopping the edge removes the policy routing. Without CAP_NET_ADMIN the edge serves single
/// ports and the ranged app's status says why it is not served.
@Suite(.serialized, .timeLimit(.minutes(3)), .onLabThreads)
struct SpectrumRangeTests {
    /// Not `Lab.projectPrefix`: a stale-lab sweep of another suite must not take this lab.
    static let nameBase = "moattrng"

    static func canRun(_ test: String) -> Bool {
        Requirements(Requirements.nft, Requirements.python).met("SpectrumRangeTests.\(test)")
    }

    /// Answers on TCP and UDP ports FIRST..LAST of HOST with what it saw: its own port, and the
    /// source and destination of the PROXY v2 header in front of the data.
    static let origin = """
    import socket, struct, sys, threading
    host, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    SIG = b"\\r\\n\\r\\n\\x00\\r\\nQUIT\\n"
    def describe(port, data):
        if data.startswith(SIG) and data[13] in (0x11, 0x12):
            length = struct.unpack("!H", data[14:16])[0]
            src, dst = socket.inet_ntoa(data[16:20]), socket.inet_ntoa(data[20:24])
            sport, dport = struct.unpack("!HH", data[24:28])
            return ("port=%d client=%s:%d dst=%s:%d data=%s" % (port, src, sport, dst, dport, data[16 + length:].decode())).encode()
        return ("port=%d noheader data=%s" % (port, data.decode(errors="replace"))).encode()
    def tcp(port):
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((host, port)); s.listen(16)
        while True:
            c, _ = s.accept(); data = b""
            c.settimeout(2)
            try:
                while len(data) < 28 or not data.endswith(b"!"):
                    d = c.recv(65535)
                    if not d: break
                    data += d
            except socket.timeout:
                pass
            c.sendall(describe(port, data)); c.close()
    def udp(port):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((host, port))
        while True:
            data, peer = s.recvfrom(65535); s.sendto(describe(port, data), peer)
    for port in range(first, last + 1):
        threading.Thread(target=tcp, args=(port,), daemon=True).start()
        threading.Thread(target=udp, args=(port,), daemon=True).start()
    threading.Event().wait()
    """

    /// Sends TEXT to HOST:PORT over KIND from a fixed source port and prints the answer; a UDP
    /// socket connected to HOST:PORT takes answers from there only.
    static let client = """
    import socket, sys
    kind, host, port, source, text = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5].encode()
    if kind == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2); s.bind(("", source)); s.connect((host, port))
        s.send(text); print(s.recv(65535).decode())
    else:
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("", source)); s.settimeout(2)
        s.connect((host, port)); s.sendall(text); got = b""
        while True:
            d = s.recv(65535)
            if not d: break
            got += d
        s.close(); print(got.decode())
    """

    @Test func aRangeReachesTheMappedOriginPortsWithTheClientsAddressOverTCPAndUDP() async throws {
        guard Self.canRun("aRangeReachesTheMappedOriginPortsWithTheClientsAddressOverTCPAndUDP") else { return }
        try await withLab(base: Self.nameBase) { lab in
            let net = try TunnelLab(lab: lab, moat: MoatBinary.path, tunnelCount: 1)
            let scripts = lab.logDirectory + "/spectrum-range"
            try FileManager.default.createDirectory(atPath: scripts, withIntermediateDirectories: true)
            try Self.origin.write(toFile: scripts + "/origin.py", atomically: true, encoding: .utf8)
            try Self.client.write(toFile: scripts + "/client.py", atomically: true, encoding: .utf8)
            try net.startEdge()
            let origin = try lab.start(in: net.customer, [Lab.python, scripts + "/origin.py", TunnelLab.customerUnderlayAddress, "7000", "7004"])

            let tcp = try created(net, ["apps", "create", "range-tcp", "--tcp", "3000-3004", "--edge-address", "198.18.1.1",
                                        "--origin", "\(TunnelLab.customerUnderlayAddress):7000-7004", "--proxy-protocol", "v2"])
            let udp = try created(net, ["apps", "create", "range-udp", "--udp", "3000-3004",
                                        "--origin", "\(TunnelLab.customerUnderlayAddress):7000-7004", "--proxy-protocol", "v2"])
            var source = 41000
            func talk(_ kind: String, _ port: Int) -> String {
                source += 1
                let result = try? lab.run(in: net.client, [Lab.python, scripts + "/client.py", kind, "198.18.1.1", String(port), String(source), "hello!"],
                                          timeout: .seconds(10))
                return result?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            }
            func expected(_ port: Int, _ kind: String) -> String {
                "port=\(port + 4000) client=\(TunnelLab.clientAddress):\(source) dst=198.18.1.1:\(port) data=hello!"
            }
            do {
                try net.waitUntil("the TCP range answers", timeout: .seconds(20)) { talk("tcp", 3000).hasPrefix("port=7000 ") }
            } catch {
                let table = (try? lab.run(in: net.edge, ["nft", "list", "table", "inet", "moat_proxy"]))?.stdout ?? ""
                Issue.record("moat up's log:\n\(net.core.map(TunnelLab.log)?.suffix(3000) ?? "")\ntable:\n\(table)\norigin: \(TunnelLab.log(origin))")
                throw error
            }
            for port in [3000, 3002, 3004] {
                let answer = talk("tcp", port)
                #expect(answer == expected(port, "tcp"), "tcp \(port)")
            }
            try net.waitUntil("the UDP range answers") { talk("udp", 3001).hasPrefix("port=7001 ") }
            for port in [3001, 3003, 3004] {
                let answer = talk("udp", port)
                #expect(answer == expected(port, "udp"), "udp \(port)")
            }

            // The table is the proxy's own: the firewall's `inet moat` is not in it.
            let table = try lab.run(in: net.edge, ["nft", "list", "table", "inet", "moat_proxy"]).stdout
            #expect(table.contains("tcp dport 3000-3004") && table.contains("udp dport 3000-3004") && table.contains("tproxy"), "\(table)")
            #expect(try lab.run(in: net.edge, ["ip", "rule", "show"]).stdout.contains("fwmark 0x4d50 lookup 19792"))

            // The app status: the edge serves both.
            try net.waitUntil("core says the edge serves the UDP range") {
                try net.client(["apps", "status", udp, "--account", net.account, "--json"]).stdout.contains("\"served\":true")
            }

            // Events in core carry the port the client dialled and the origin port it went to.
            try net.waitUntil("core lists a TCP connection on port 3002") {
                let events = try net.client(["apps", "events", tcp, "--account", net.account, "--json"]).stdout
                return events.contains("\"edge_port\":3002") && events.contains("\"origin_port\":7002")
            }

            // The last ranged app gone: the table goes too.
            for id in [tcp, udp] { _ = try net.client(["apps", "delete", id, "--account", net.account]) }
            try net.waitUntil("the TPROXY table is removed") {
                !(try lab.run(in: net.edge, ["nft", "list", "tables"]).stdout.contains("moat_proxy"))
            }

            // A stop removes the policy routing and a table still in force.
            _ = try created(net, ["apps", "create", "range-again", "--udp", "3000-3004", "--origin", "\(TunnelLab.customerUnderlayAddress):7000"])
            try net.waitUntil("the table is back") { try lab.run(in: net.edge, ["nft", "list", "tables"]).stdout.contains("moat_proxy") }
            try net.restartEdge(signal: SIGTERM, startAgain: false)
            #expect(!(try lab.run(in: net.edge, ["nft", "list", "tables"]).stdout.contains("moat_proxy")))
            #expect(!(try lab.run(in: net.edge, ["ip", "rule", "show"]).stdout.contains("0x4d50")))
            #expect(!(try lab.run(in: net.edge, ["ip", "-6", "rule", "show"]).stdout.contains("0x4d50")))
        }
    }

    /// `moat up` as root but without CAP_NET_ADMIN (`setpriv` drops it from the bounding set):
    /// the single-port app is served, the ranged one is not, and its status in core says why.
    @Test func withoutNetAdminSinglePortsServeAndTheRangeSaysWhyItIsNot() async throws {
        guard Requirements(Requirements.nft, Requirements.python, ["setpriv": "util-linux"])
            .met("SpectrumRangeTests.withoutNetAdminSinglePortsServeAndTheRangeSaysWhyItIsNot") else { return }
        try await withLab(base: Self.nameBase) { lab in
            let edge = try lab.addNamespace("edge")
            let data = lab.logDirectory + "/moat-data"
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            let moat = try lab.start(in: edge, ["setpriv", "--inh-caps=-net_admin", "--bounding-set=-net_admin", "--",
                                                MoatBinary.path, "up", "--data", data, "--listen", "127.0.0.1:7480",
                                                "--tunnels", "off", "--firewall", "off", "--telemetry-interval", "0.5"])
            func waitUntil(_ what: String, _ condition: () throws -> Bool) throws {
                let deadline = ContinuousClock.now + .seconds(20)
                while ContinuousClock.now < deadline {
                    if (try? condition()) == true { return }
                    guard moat.isRunning else { throw LabError(.processFailed, "moat up exited:\n\(TunnelLab.log(moat).suffix(3000))") }
                    usleep(50_000)
                }
                throw LabError(.timedOut, "timed out waiting until \(what); moat up's log:\n\(TunnelLab.log(moat).suffix(3000))")
            }
            try waitUntil("moat up listens") { TunnelLab.log(moat).contains("listening on") }
            let token = try String(contentsOfFile: data + "/operator-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            func client(_ arguments: [String]) throws -> CommandResult {
                try lab.run(in: edge, ["env", "MOAT_URL=http://127.0.0.1:7480", "MOAT_TOKEN=\(token)", MoatBinary.path] + arguments, timeout: .seconds(30))
            }
            func created(_ arguments: [String]) throws -> String {
                let result = try client(arguments + ["--json"])
                let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
                return try #require(object?["id"] as? String, "\(result.stderr)")
            }
            let account = try created(["accounts", "create", "acme"])
            let web = try created(["apps", "create", "web", "--tcp", "2222", "--origin", "127.0.0.1:9", "--account", account])
            let game = try created(["apps", "create", "game", "--udp", "3000-3004", "--origin", "127.0.0.1:7000-7004", "--account", account])

            try waitUntil("core says the edge does not serve the range, and why") {
                let status = try client(["apps", "status", game, "--account", account, "--json"]).stdout
                return status.contains("\"served\":false") && status.contains("CAP_NET_ADMIN")
            }
            try waitUntil("core says the edge serves the single port") {
                try client(["apps", "status", web, "--account", account, "--json"]).stdout.contains("\"served\":true")
            }
            let table = try client(["apps", "status", game, "--account", account])
            #expect(table.stdout.contains("no") && table.stdout.contains("port ranges need CAP_NET_ADMIN"), "\(table.stdout)")
            let listening = try lab.run(in: edge, ["ss", "-ltnH", "sport = :2222"]).stdout
            #expect(!listening.isEmpty, "the single-port app listens")
            #expect(!(try lab.run(in: edge, ["nft", "list", "tables"]).stdout.contains("moat_proxy")))
            #expect(TunnelLab.log(moat).contains("app game (\(game)) not served: port ranges need CAP_NET_ADMIN"))
        }
    }

    func created(_ net: TunnelLab, _ arguments: [String]) throws -> String {
        let result = try net.client(arguments + ["--account", net.account, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return try #require(object?["id"] as? String, "\(result.stderr)")
    }
}
