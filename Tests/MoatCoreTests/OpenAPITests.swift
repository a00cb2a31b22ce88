import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MoatCore
import MoatModel
import Testing

/// Holds the OpenAPI document (`Sources/MoatCore/Resources/openapi.json`) against what the server
/// really does: the routes it registers, the JSON its models encode and the fields its input
/// readers accept.
///
/// The document is read as `JSONValue` rather than with JSONSerialization, so that `true` and `1`
/// stay apart when examples are fed back to the input readers.
@Suite struct OpenAPITests {
    /// Routes that need no token: they must say so with `security: []`.
    static let publicOperations: Set<String> = ["GET /v1/health", "GET /metrics", "GET /v1/openapi.json", "POST /v1/edge/enroll"]

    @Test func everyRegisteredRouteIsDocumentedAndEveryOperationIsRegistered() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("moat-openapi-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await CoreServer.open(CoreConfiguration(dataDirectory: directory))
        let (_, entries) = server.buildRouter()
        let registered = entries.map { "\($0.method.uppercased()) \($0.path)" }
        let documented = try OpenAPIFile.bundled().operations.map(\.name)

        #expect(!registered.isEmpty)
        #expect(Set(registered).count == registered.count, "a route is registered twice: \(registered.sorted())")
        for name in Set(registered).subtracting(documented).sorted() {
            Issue.record("\(name) is registered but openapi.json does not document it")
        }
        for name in Set(documented).subtracting(registered).sorted() {
            Issue.record("openapi.json documents \(name), which the server does not register")
        }
    }

    @Test func everyOperationDeclaresResponsesSecurityAndItsPathParameters() throws {
        let document = try OpenAPIFile.bundled()
        let schemes = document.root.field("components")?.field("securitySchemes")?.objectValue ?? [:]
        #expect(!schemes.isEmpty)
        for operation in document.operations {
            let name = operation.name
            let responses = operation.value.field("responses")?.objectValue ?? [:]
            #expect(!responses.isEmpty, "\(name) declares no responses")

            guard let security = operation.value.field("security")?.arrayValue else {
                Issue.record("\(name) has no `security`: name the token it needs, or `security: []` if it needs none")
                continue
            }
            if Self.publicOperations.contains(name) {
                #expect(security.isEmpty, "\(name) needs no token, so its security must be []")
            } else {
                #expect(!security.isEmpty, "\(name) needs a token, but its security is []")
            }
            for requirement in security {
                for scheme in requirement.objectValue?.keys.sorted() ?? [] where schemes[scheme] == nil {
                    Issue.record("\(name) names the security scheme '\(scheme)', which components.securitySchemes lacks")
                }
            }

            let declared = Set(operation.parameters.filter { $0.field("in")?.stringValue == "path" }.compactMap { $0.field("name")?.stringValue })
            for parameter in operation.pathParameters where !declared.contains(parameter) {
                Issue.record("\(name) does not declare its path parameter '\(parameter)'")
            }

            // The API's conventions: creation is 201, deletion 204, and every write outside
            // /v1/edge answers the config version it produced.
            let method = name.prefix(while: { $0 != " " })
            guard ["POST", "PATCH", "DELETE"].contains(method), !operation.path.hasPrefix("/v1/edge/") else { continue }
            let success = method == "POST" ? "201" : method == "DELETE" ? "204" : "200"
            guard let response = responses[success].map(document.resolve) else {
                Issue.record("\(name) does not document its \(success) answer")
                continue
            }
            #expect(response.field("headers")?.field("Moat-Config-Version") != nil, "\(name) does not document the Moat-Config-Version header")
        }
    }

    @Test func everyReferenceResolves() throws {
        let document = try OpenAPIFile.bundled()
        for reference in document.references.sorted() {
            #expect(document.pointer(reference) != nil, "\(reference) does not resolve")
        }
    }

    @Test func theServedDocumentIsTheFile() async throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/MoatCore/Resources/openapi.json")
        let expected = try Data(contentsOf: file)
        let info = try JSONValue.parse(expected).field("info")
        #expect(info?.field("title")?.stringValue == "Moat API")
        #expect(info?.field("version")?.stringValue == "0.1.0")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("moat-openapi-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await CoreServer.open(CoreConfiguration(dataDirectory: directory))
        let (router, _) = server.buildRouter()
        let app = Application(router: router)
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                #expect(Data(response.body.readableBytesView) == expected, "GET /v1/openapi.json does not answer the bytes of \(file.path)")
            }
        }
    }

    /// Each model, encoded as the API encodes it, once with every optional field set (each
    /// documented property must appear) and once with none (what appears must be `required`).
    @Test func theModelsEncodeWhatTheSchemasDescribe() throws {
        let document = try OpenAPIFile.bundled()
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let customer = try #require(IPAddress("198.51.100.10"))
        let moat = try #require(IPAddress("192.0.2.1"))
        let interface = try #require(CIDR("10.0.0.0/31"))
        let cidr = try #require(CIDR("203.0.113.0/24"))
        let secret = "moat_" + String(repeating: "ab", count: 32)

        var edge = EdgeInfo(location: "ams1", name: "ams1-edge1", status: .enrolled, createdAt: date)
        edge.hostname = "edge1.example.net"
        edge.agentVersion = "0.1.0"
        edge.appliedVersion = 7
        edge.lastError = "nft: syntax error"
        edge.lastSeen = date
        edge.enrollmentToken = secret
        edge.enrollmentExpiresAt = date
        let prefix = Prefix(accountID: "acc_1", spec: PrefixSpec(cidr: cidr, description: "web", originASN: 64500, advertised: true), status: .approved, at: date)
        let tunnel = Tunnel(accountID: "acc_1", spec: TunnelSpec(name: "gre-fra", description: "Frankfurt", customerEndpoint: customer, moatEndpoint: moat,
                                                                 interfaceAddress: interface, healthCheck: .init(target: customer)), at: date)
        let route = Route(accountID: "acc_1", spec: RouteSpec(prefix: cidr, nexthop: tunnel.customerAddress, priority: 100,
                                                              scope: .init(locations: ["ams1"], regions: ["WEUR"]), description: "primary"),
                          tunnelID: tunnel.id, at: date)

        let rule = FirewallRule(accountID: "acc_1", spec: FirewallRuleSpec(expression: "tcp.dstport == 22", action: .rateLimit,
                                                                          rateLimit: .init(packetsPerSecond: 10, burst: 20), description: "ssh"), position: 1, at: date)
        let list = FirewallList(accountID: "acc_1", spec: FirewallListSpec(name: "office", description: "HQ", items: [cidr]), at: date)

        let sample = TunnelHealthSample(tunnelID: tunnel.id, start: date, end: date + 10, sent: 20, lost: 1, rttMin: 1.5, rttAvg: 2, rttMax: 4.25, state: .degraded)
        let change = TunnelStateChange(tunnelID: tunnel.id, at: date, from: .healthy, to: .degraded)
        let cell = TunnelLocationHealth(location: "ams1", state: .down, since: date, edges: 2, lastReport: date, stale: true)
        let point = TunnelHealthPoint(at: date, sent: 120, lost: 3, loss: 0.025, rttMin: 1, rttAvg: 2.5, rttMax: 9, state: .degraded)
        let bare = TunnelHealthPoint(at: date, sent: 0, lost: 0, loss: nil, rttMin: nil, rttAvg: nil, rttMax: nil, state: .down)

        let conflict = OriginConflict(prefixID: prefix.id, accountID: "acc_1", cidr: cidr, status: .pending,
                                      reason: "RPKI invalid: ROA 203.0.113.0/24 max /24 authorises AS64500, not AS64501")
        let summary = OriginDataSummary(entries: 3, ipv4: 2, ipv6: 1, loadedAt: date, loadedBy: "operator:tok_1", invalidPrefixes: [conflict])
        let peer = BGPPeer(location: "ams1", spec: BGPPeerSpec(name: "transit-a", edge: edge.id, peerAddress: customer, peerASN: 64500, localASN: 65010,
                                                               localAddress: moat, md5Key: "s3cret", communities: ["64500:666"], largeCommunities: ["65010:1:2"],
                                                               nextHopIPv4: moat, nextHopIPv6: IPAddress("2001:db8::1"), prefixLimit: 100), at: date)
        let bareCIDRPeer = BGPPeer(location: "ams1", spec: BGPPeerSpec(name: "transit-b", peerAddress: customer, peerASN: 64500, localASN: 65010), at: date)

        let app = SpectrumApp(accountID: "acc_1", spec: SpectrumAppSpec(
            name: "game", proto: .udp, edgeAddress: moat, ports: .init(low: 27015, high: 27020),
            origins: [.init(address: customer, ports: .init(low: 37015, high: 37020), weight: 2)], loadBalancing: .hash, proxyProtocol: .simple,
            ipRules: [.init(action: .block, cidr: cidr)], idleTimeout: 60, sourceLimits: .init(maxConnections: 10, newConnectionsPerSecond: 5),
            locations: ["ams1"]), at: date)
        let proxyEvent = ProxyEvent(appID: app.id, proto: .tcp, clientAddress: customer, clientPort: 40000, edgePort: 25565, originAddress: moat,
                                    originPort: 25565, bytesFromClient: 10, bytesToClient: 20, start: date, durationMs: 5, status: .normal, location: "ams1")
        let target = try #require(IPAddress("203.0.113.10"))
        let node = TracerouteNode(address: target, asn: 64500, asName: "ACME", answered: 3, rttMin: 1, rttMean: 1.5, rttMax: 2, rttStddev: 0.4, reached: true)
        let hop = TracerouteHop(ttl: 6, sent: 3, lost: 0, nodes: [node])
        let traceOptions = TracerouteOptions(packetType: .tcp, port: 443)
        let failed = TracerouteResult(target: target, location: "fra1", edgeID: edge.id, status: .failed, error: "the edge did not report within 19 s")
        // Every element of an array must show every field, so results are checked on their own.
        let traceroute = Traceroute(id: "trc_1", accountID: "acc_1", createdAt: date, deadline: date + 19, options: traceOptions,
                                    targets: [TracerouteTarget(target: "www.example.net", address: target)], locations: ["ams1", "fra1"], results: [])
        let job = EdgeTracerouteJob(id: "trc_1", targets: [target], options: traceOptions, deadline: date)

        let full: [(String, any Encodable)] = [
            ("Traceroute", traceroute),
            ("TracerouteResult", failed),
            ("TracerouteNode", node),
            ("EdgeTracerouteJobList", ItemList(items: [job])),
            ("TracerouteHop", hop),
            ("EdgeTracerouteReport", EdgeTracerouteReport(results: [.init(target: target, reached: false, hops: [], error: "no route")])),
            ("BGPPeer", peer),
            ("SpectrumApp", app),
            ("Account", Account(name: "Example", createdAt: date)),
            ("Location", Location(id: "ams1", name: "Amsterdam", region: "WEUR", createdAt: date)),
            ("TokenInfo", TokenInfo(id: "tok_1", scope: .write, accountID: "acc_1", description: "ci", createdAt: date, token: secret)),
            ("EdgeInfo", edge),
            ("Prefix", prefix),
            ("Tunnel", tunnel),
            ("Route", route),
            ("EdgeConfig", EdgeConfig(version: 7, location: "ams1", region: "WEUR", generatedAt: date, prefixes: [prefix], tunnels: [tunnel], routes: [route],
                                      firewallRules: [rule], firewallLists: [list], bgpPeers: [peer], apps: [app], edges: [edge.id])),
            ("FirewallRule", rule),
            ("FirewallList", list),
            ("EnrollRequest", EnrollRequest(token: secret, hostname: "edge1", agentVersion: "0.1.0")),
            ("EnrollResponse", EnrollResponse(edgeID: "edg_1", location: "ams1", credential: secret)),
            ("EdgeStatusReport", EdgeStatusReport(appliedVersion: 6, agentVersion: "0.1.0", failedVersion: 7, error: "nft: syntax error")),
            ("AuditEntry", AuditEntry(id: 1, at: date, actor: "operator:tok_0", accountID: "acc_1", action: "prefix.create", objectID: "pfx_1", version: 7, summary: "203.0.113.0/24")),
            ("APIErrorBody", APIErrorBody(error: .init(code: "invalid_expression", message: "unknown field", field: "expression", span: .init(start: 0, length: 3)))),
            ("TokenInfoList", ItemList(items: [TokenInfo(id: "tok_1", scope: .read, accountID: "acc_1", description: "ci", createdAt: date, token: secret)])),
            ("EdgeTelemetry", EdgeTelemetry(ruleHits: [rule.id: 12], tunnelHealth: [sample], tunnelEvents: [change], proxyEvents: [proxyEvent],
                                            unservedApps: [app.id: "port ranges need CAP_NET_ADMIN"])),
            ("SpectrumAppStatus", SpectrumAppStatus(appID: app.id, edges: [.init(edgeID: edge.id, location: "ams1", served: false,
                                                                                   reason: "port ranges need CAP_NET_ADMIN", reportedAt: date)])),
            ("ProxyEvent", proxyEvent),
            ("TunnelHealthSample", sample),
            ("TunnelStateChange", change),
            ("TunnelHealthOverviewList", ItemList(items: [TunnelHealthOverview(tunnelID: tunnel.id, name: tunnel.name, locations: [cell])])),
            ("TunnelHealthHistory", TunnelHealthHistory(tunnelID: tunnel.id, from: date, to: date + 3600, step: 60,
                                                        locations: [TunnelLocationHistory(location: "ams1", points: [point])])),
            ("OriginValidationStatus", OriginValidationStatus(roas: summary, irr: summary)),
            ("OriginDataSummary", summary),
            ("OriginConflict", conflict),
            ("Attack", Attack(id: "atk_00000000000000a1", accountID: "acc_1", target: customer, prefix: cidr, status: .ended, startedAt: date,
                              mitigatedAt: date, endedAt: date,
                              fingerprint: AttackFingerprint(target: customer, protocolNumber: 6, sourcePort: 1, destinationPort: 80, lengthMin: 40,
                                                             lengthMax: 40, ttl: 64, tcpFlags: 2, icmpType: 8, fragments: false,
                                                             sourcePrefixes: [cidr], attackCoverage: 1, baselineCoverage: 0, nft: "ip daddr 198.51.100.10"),
                              peakPacketsPerSecond: 1, peakBitsPerSecond: 8, packetsDropped: 1, mitigation: .expired, location: "ams1", edgeID: "edg_1")),
            ("DDoSAccountSettings", DDoSAccountSettings(managed: .object(["fragments": .string("drop")]), detection: .defaults,
                                                        thresholds: [PrefixThreshold(prefix: cidr, threshold: .defaults)],
                                                        synproxy: [ProtectedService(prefix: cidr, ports: [80])], automaticMitigation: true)),
        ]
        let minimal: [(String, any Encodable)] = [
            ("TracerouteNode", TracerouteNode(address: target, answered: 1, rttMin: 1, rttMean: 1, rttMax: 1, rttStddev: 0, reached: false)),
            ("TracerouteResult", TracerouteResult(target: target, location: "ams1", edgeID: nil, status: .pending)),
            ("TracerouteOptions", TracerouteOptions()),
            ("Traceroute", Traceroute(id: "trc_1", accountID: "acc_1", createdAt: date, deadline: date, options: TracerouteOptions(),
                                      targets: [], locations: [], results: [])),
            ("BGPPeer", bareCIDRPeer),
            ("ProxyEvent", ProxyEvent(appID: "app_1", proto: .udp, clientAddress: customer, clientPort: 1, edgePort: 2, start: date, status: .blocked)),
            ("SpectrumAppStatus", SpectrumAppStatus(appID: "app_1", edges: [.init(edgeID: "edg_1", location: "ams1", served: true, reason: nil, reportedAt: date)])),
            ("SpectrumApp", SpectrumApp(accountID: "acc_1", spec: SpectrumAppSpec(name: "web", proto: .tcp, ports: .init(low: 80, high: 80),
                                                                               origins: [.init(address: customer, ports: .init(low: 80, high: 80))]), at: date)),
            ("TokenInfo", TokenInfo(id: "tok_1", scope: .read, accountID: nil, description: nil, createdAt: date)),
            ("EdgeInfo", EdgeInfo(location: "ams1", name: nil, createdAt: date)),
            ("Prefix", Prefix(accountID: "acc_1", spec: PrefixSpec(cidr: cidr), at: date)),
            ("Tunnel", Tunnel(accountID: "acc_1", spec: TunnelSpec(name: "gre-fra", customerEndpoint: customer, moatEndpoint: moat, interfaceAddress: interface), at: date)),
            ("Route", Route(accountID: "acc_1", spec: RouteSpec(prefix: cidr, nexthop: tunnel.customerAddress, priority: 100), tunnelID: tunnel.id, at: date)),
            ("FirewallRule", FirewallRule(accountID: "acc_1", spec: FirewallRuleSpec(expression: "ip.frag", action: .block), position: 1, at: date)),
            ("FirewallList", FirewallList(accountID: "acc_1", spec: FirewallListSpec(name: "office"), at: date)),
            ("EdgeConfig", EdgeConfig(version: 7, location: "ams1", region: "WEUR", generatedAt: date)),
            ("EnrollRequest", EnrollRequest(token: secret, hostname: nil, agentVersion: nil)),
            ("EdgeStatusReport", EdgeStatusReport(appliedVersion: nil, agentVersion: nil)),
            ("AuditEntry", AuditEntry(id: 1, at: date, actor: "moat", accountID: nil, action: "token.operator", objectID: nil, version: 1, summary: nil)),
            ("APIErrorBody", APIErrorBody(error: .init(code: "unauthorized", message: "missing token", field: nil))),
            ("TunnelHealthSample", TunnelHealthSample(tunnelID: tunnel.id, start: date, end: date, sent: 3, lost: 3, rttMin: nil, rttAvg: nil, rttMax: nil, state: .down)),
            ("TunnelHealthPoint", bare),
            ("TunnelHealthOverview", TunnelHealthOverview(tunnelID: tunnel.id, name: tunnel.name, locations: [])),
            ("OriginValidationStatus", OriginValidationStatus()),
            ("OriginDataSummary", OriginDataSummary(entries: 1, ipv4: 1, ipv6: 0, loadedAt: date, loadedBy: "operator:tok_1")),
            ("Attack", Attack(id: "atk_00000000000000a1", accountID: nil, target: customer, prefix: nil, startedAt: date)),
            ("DDoSAccountSettings", DDoSAccountSettings()),
            ("DDoSSettings", DDoSSettings()),
        ]
        let encoder = MoatJSON.encoder()
        for (fill, samples) in [(SchemaFill.everyField, full), (.requiredOnly, minimal)] {
            for (name, model) in samples {
                guard let schema = document.root.field("components")?.field("schemas")?.field(name) else {
                    Issue.record("components.schemas lacks \(name)")
                    continue
                }
                let json = try JSONValue.parse(encoder.encode(model))
                for mismatch in document.mismatches(json, schema, at: name, fill: fill) {
                    Issue.record("\(mismatch)")
                }
            }
        }
    }

    /// Each request body schema's example names every documented field. The input reader accepts
    /// it, refuses it without a required field (naming that field), accepts it without an optional
    /// one, and refuses an undocumented field: what `required` and `additionalProperties` claim.
    @Test func theInputReadersAcceptWhatTheRequestSchemasDescribe() throws {
        let document = try OpenAPIFile.bundled()
        let tunnel = TunnelSpec(name: "gre-fra", customerEndpoint: try #require(IPAddress("198.51.100.10")),
                                moatEndpoint: try #require(IPAddress("192.0.2.1")), interfaceAddress: try #require(CIDR("10.0.0.0/31")))
        let route = RouteSpec(prefix: try #require(CIDR("203.0.113.0/24")), nexthop: try #require(IPAddress("10.0.0.1")), priority: 100)
        let readers: [(String, (JSONValue) throws -> Void)] = [
            ("AccountCreate", { _ = try AccountSpec(json: $0) }),
            ("AccountPatch", { var spec = AccountSpec(name: "Example"); try spec.apply(patch: $0) }),
            ("TokenCreate", { _ = try TokenSpec(json: $0) }),
            ("LocationCreate", { _ = try LocationSpec(json: $0) }),
            ("LocationPatch", { var spec = LocationSpec(id: "ams1", name: "Amsterdam", region: "WEUR"); try spec.apply(patch: $0) }),
            ("EdgeCreate", { _ = try EdgeSpec(json: $0) }),
            ("PrefixCreate", { _ = try PrefixSpec(json: $0) }),
            ("PrefixPatch", { _ = try PrefixPatch(json: $0) }),
            ("TunnelCreate", { _ = try TunnelSpec(json: $0) }),
            ("TunnelPatch", { var spec = tunnel; try spec.apply(patch: $0) }),
            ("RouteCreate", { _ = try RouteSpec(json: $0) }),
            ("RoutePatch", { var spec = route; try spec.apply(patch: $0) }),
            ("FirewallRuleCreate", { _ = try FirewallRuleSpec(json: $0) }),
            ("FirewallRulePatch", { var spec = FirewallRuleSpec(expression: "ip.frag", action: .rateLimit, rateLimit: .init(packetsPerSecond: 1, burst: 1))
                                    try spec.apply(patch: $0) }),
            ("FirewallListCreate", { _ = try FirewallListSpec(json: $0) }),
            ("FirewallListPatch", { var spec = FirewallListSpec(name: "office"); try spec.apply(patch: $0) }),
            ("TracerouteCreate", { _ = try TracerouteRequest(json: $0) }),
        ]
        for (name, read) in readers {
            let schema = document.resolve(document.root.field("components")?.field("schemas")?.field(name) ?? .null)
            guard let properties = schema.field("properties")?.objectValue,
                  case .object(let example)? = schema.field("examples")?.arrayValue?.first else {
                Issue.record("\(name) has no properties or no example")
                continue
            }
            let required = Set(schema.field("required")?.arrayValue?.compactMap(\.stringValue) ?? [])
            // Fields required only together with a value of another (JSON Schema if/then):
            // leaving them out of an example that meets the `if` must be refused, naming them.
            var conditional: Set<String> = []
            if let condition = schema.field("if")?.field("properties")?.objectValue,
               condition.allSatisfy({ key, value in example[key] == value.field("const") }) {
                conditional = Set(schema.field("then")?.field("required")?.arrayValue?.compactMap(\.stringValue) ?? [])
            }
            #expect(Set(example.keys) == Set(properties.keys), "the example of \(name) should set every documented field")
            #expect(schema.field("additionalProperties") == .bool(false), "\(name) must say additionalProperties: false")

            if let refusal = Self.refusal(read, .object(example)) {
                Issue.record("\(name): the reader refuses the documented example: \(Self.describe(refusal))")
                continue
            }
            for field in properties.keys.sorted() {
                var without = example
                without[field] = nil
                let refusal = Self.refusal(read, .object(without))
                if required.contains(field) || conditional.contains(field) {
                    #expect(refusal?.code == .missingField && refusal?.field == field,
                            "\(name).\(field) is documented as required, but leaving it out gives \(Self.describe(refusal))")
                } else {
                    #expect(refusal == nil, "\(name).\(field) is documented as optional, but leaving it out gives \(Self.describe(refusal))")
                }
            }
            var extra = example
            extra["undocumented"] = .bool(true)
            #expect(Self.refusal(read, .object(extra))?.code == .unknownField, "\(name) accepts a field the document does not name")
        }
    }

    static func describe(_ refusal: ValidationError?) -> String {
        guard let refusal else { return "no error" }
        return "\(refusal.code) at '\(refusal.field ?? "")': \(refusal.message)"
    }

    static func refusal(_ read: (JSONValue) throws -> Void, _ body: JSONValue) -> ValidationError? {
        do {
            try read(body)
            return nil
        } catch let error as ValidationError {
            return error
        } catch {
            return ValidationError(.invalidValue, "unexpected \(error)")
        }
    }
}

/// How a model sample was filled: every optional set, or none.
private enum SchemaFill { case everyField, requiredOnly }

/// The parsed document and the walks the tests need.
private struct OpenAPIFile {
    let root: JSONValue

    static func bundled() throws -> OpenAPIFile {
        let root = try JSONValue.parse(Data(OpenAPIDocument.bytes))
        guard root.field("paths")?.objectValue != nil else { throw OpenAPITestError("the bundled openapi.json has no paths") }
        return OpenAPIFile(root: root)
    }

    struct Operation {
        var path: String
        var method: String
        var value: JSONValue
        /// Path-level and operation-level parameters, references resolved.
        var parameters: [JSONValue]
        var name: String { "\(method.uppercased()) \(path)" }
        var pathParameters: [String] {
            path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }.map { String($0.dropFirst().dropLast()) }
        }
    }

    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    var operations: [Operation] {
        let paths = root.field("paths")?.objectValue ?? [:]
        return paths.keys.sorted().flatMap { path -> [Operation] in
            let item = paths[path] ?? .null
            let shared = item.field("parameters")?.arrayValue ?? []
            return Self.methods.compactMap { method in
                guard let value = item.field(method) else { return nil }
                let parameters = (shared + (value.field("parameters")?.arrayValue ?? [])).map(resolve)
                return Operation(path: path, method: method, value: value, parameters: parameters)
            }
        }
    }

    /// Follows `$ref` (local JSON pointers only) until a value without one.
    func resolve(_ value: JSONValue) -> JSONValue {
        var value = value
        var hops = 0
        while let reference = value.field("$ref")?.stringValue, let target = pointer(reference), hops < 32 {
            value = target
            hops += 1
        }
        return value
    }

    /// RFC 6901 with the `#` of a URI fragment.
    func pointer(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#/") else { return nil }
        var value: JSONValue? = root
        for token in reference.dropFirst(2).split(separator: "/", omittingEmptySubsequences: false) {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch value {
            case .object(let object)?: value = object[key]
            case .array(let array)?: value = Int(key).flatMap { array.indices.contains($0) ? array[$0] : nil }
            default: return nil
            }
        }
        return value
    }

    /// Every `$ref` in the document.
    var references: Set<String> {
        var found: Set<String> = []
        func walk(_ value: JSONValue) {
            switch value {
            case .object(let object):
                if case .string(let reference)? = object["$ref"] { found.insert(reference) }
                object.values.forEach(walk)
            case .array(let array):
                array.forEach(walk)
            default:
                break
            }
        }
        walk(root)
        return found
    }

    /// Where `value` departs from `schema`: a wrong type, a key the schema does not declare, a
    /// required key that is absent; with every field filled, a declared key that never appears;
    /// with none filled, a key that always appears but is not `required`.
    func mismatches(_ value: JSONValue, _ schema: JSONValue, at path: String, fill: SchemaFill) -> [String] {
        let schema = resolve(schema)
        if let types = schema.field("type").map({ $0.arrayValue ?? [$0] })?.compactMap(\.stringValue),
           !types.contains(where: { Self.matches(value, type: $0) }) {
            return ["\(path): the model encodes \(value.typeName), the schema says \(types.joined(separator: " or "))"]
        }
        var found: [String] = []
        if case .object(let object) = value, let properties = schema.field("properties")?.objectValue {
            let present = Set(object.keys)
            let declared = Set(properties.keys)
            let required = Set(schema.field("required")?.arrayValue?.compactMap(\.stringValue) ?? [])
            found += present.subtracting(declared).sorted().map { "\(path).\($0): the model encodes it, the schema does not declare it" }
            found += required.subtracting(present).sorted().map { "\(path).\($0): the schema requires it, the model leaves it out" }
            switch fill {
            case .everyField:
                found += declared.subtracting(present).sorted().map { "\(path).\($0): the schema declares it, the model never encodes it" }
            case .requiredOnly:
                found += present.subtracting(required).sorted().map { "\(path).\($0): the model always encodes it, the schema does not require it" }
            }
            for key in present.intersection(declared).sorted() {
                found += mismatches(object[key]!, properties[key]!, at: "\(path).\(key)", fill: fill)
            }
        }
        if case .array(let items) = value, let itemSchema = schema.field("items") {
            for (index, item) in items.enumerated() {
                found += mismatches(item, itemSchema, at: "\(path)[\(index)]", fill: fill)
            }
        }
        return found
    }

    static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object), ("number", .number): return true
        case ("integer", .number(let number)): return number.rounded() == number
        default: return false
        }
    }
}

private struct OpenAPITestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

private extension JSONValue {
    func field(_ name: String) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        return object[name]
    }

    var objectValue: [String: JSONValue]? { if case .object(let object) = self { return object } else { return nil } }
    var arrayValue: [JSONValue]? { if case .array(let array) = self { return array } else { return nil } }
    var stringValue: String? { if case .string(let text) = self { return text } else { return nil } }
}
