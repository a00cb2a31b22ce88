/// One BGP message (RFC 4271 §4), without its header.
package enum BGPMessage: Hashable, Sendable {
    case open(OpenMessage)
    case update(UpdateMessage)
    case notification(NotificationMessage)
    case keepalive
    case routeRefresh(RouteRefreshMessage)

    package var type: MessageType {
        switch self {
        case .open: return .open
        case .update: return .update
        case .notification: return .notification
        case .keepalive: return .keepalive
        case .routeRefresh: return .routeRefresh
        }
    }
}

/// The message type octet of the header (RFC 4271 §4.1; ROUTE-REFRESH is RFC 2918).
package enum MessageType: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case open = 1
    case update = 2
    case notification = 3
    case keepalive = 4
    case routeRefresh = 5

    /// The shortest valid message of this type, header included (RFC 4271 §4.2–§4.5).
    var minimumLength: Int {
        switch self {
        case .open: return 29
        case .update: return 23
        case .notification: return 21
        case .keepalive: return 19
        case .routeRefresh: return 23
        }
    }

    package var description: String {
        switch self {
        case .open: return "open"
        case .update: return "update"
        case .notification: return "notification"
        case .keepalive: return "keepalive"
        case .routeRefresh: return "route_refresh"
        }
    }
}
