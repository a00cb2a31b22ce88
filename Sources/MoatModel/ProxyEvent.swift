import Foundation

/// One finished connection (TCP) or session (UDP) of a Spectrum app, as its edge saw it: the
/// event log record operators know from Spectrum.
public struct ProxyEvent: Codable, Equatable, Sendable {
    /// HTTP-like status codes, as Spectrum's event log uses them.
    public enum Status: Int, Codable, Sendable {
        /// Closed normally.
        case normal = 200
        /// Refused by the app's IP rules.
        case blocked = 403
        /// Refused by the per-source limits.
        case overLimit = 429
        /// Reset by the origin.
        case originReset = 444
        /// Reset by the client.
        case clientReset = 499
        /// No origin could be reached.
        case originUnreachable = 502
        /// Connecting to the origin timed out.
        case originTimeout = 504
    }

    public var appID: String
    public var proto: SpectrumApp.TransportProtocol
    public var clientAddress: IPAddress
    public var clientPort: Int
    public var edgePort: Int
    public var originAddress: IPAddress?
    public var originPort: Int?
    /// Bytes from the client to the origin, and back.
    public var bytesFromClient: UInt64
    public var bytesToClient: UInt64
    public var start: Date
    public var durationMs: Int
    public var status: Status
    /// Filled in by core: the location of the edge that reported it.
    public var location: String?

    enum CodingKeys: String, CodingKey {
        case start, status, location
        case appID = "app_id"
        case proto = "protocol"
        case clientAddress = "client_address"
        case clientPort = "client_port"
        case edgePort = "edge_port"
        case originAddress = "origin_address"
        case originPort = "origin_port"
        case bytesFromClient = "bytes_from_client"
        case bytesToClient = "bytes_to_client"
        case durationMs = "duration_ms"
    }

    public init(appID: String, proto: SpectrumApp.TransportProtocol, clientAddress: IPAddress, clientPort: Int, edgePort: Int,
                originAddress: IPAddress? = nil, originPort: Int? = nil, bytesFromClient: UInt64 = 0, bytesToClient: UInt64 = 0,
                start: Date, durationMs: Int = 0, status: Status, location: String? = nil) {
        self.appID = appID
        self.proto = proto
        self.clientAddress = clientAddress
        self.clientPort = clientPort
        self.edgePort = edgePort
        self.originAddress = originAddress
        self.originPort = originPort
        self.bytesFromClient = bytesFromClient
        self.bytesToClient = bytesToClient
        self.start = start
        self.durationMs = durationMs
        self.status = status
        self.location = location
    }
}
