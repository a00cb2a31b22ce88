import Foundation

/// `GET /v1/accounts/{account}/apps/{id}/status`: whether the edges of the app's locations
/// serve it, from what each edge last reported. An edge that cannot (a port range on an edge
/// without CAP_NET_ADMIN, a socket that would not open) says why.
public struct SpectrumAppStatus: Codable, Equatable, Sendable {
    public struct Edge: Codable, Equatable, Sendable {
        public var edgeID: String
        public var location: String
        public var served: Bool
        public var reason: String?
        public var reportedAt: Date

        enum CodingKeys: String, CodingKey {
            case location, served, reason
            case edgeID = "edge_id"
            case reportedAt = "reported_at"
        }

        public init(edgeID: String, location: String, served: Bool, reason: String?, reportedAt: Date) {
            self.edgeID = edgeID
            self.location = location
            self.served = served
            self.reason = reason
            self.reportedAt = reportedAt
        }
    }

    public var appID: String
    /// Every edge that reported serves the app (false also when none has reported yet).
    public var served: Bool
    public var edges: [Edge]

    enum CodingKeys: String, CodingKey {
        case served, edges
        case appID = "app_id"
    }

    public init(appID: String, edges: [Edge]) {
        self.appID = appID
        self.edges = edges
        self.served = !edges.isEmpty && edges.allSatisfy(\.served)
    }
}
