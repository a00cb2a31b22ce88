/// A received message that is not what the protocol allows, and what the protocol says to
/// do about it.
///
/// `code` is the NOTIFICATION error code and subcode (RFC 4271 §4.5, §6), `data` the
/// bytes the NOTIFICATION's data field carries (the offending field or attribute), and
/// `action` the RFC 7606 handling. Only `.sessionReset` errors are thrown by the decoder;
/// the others are collected in `UpdateMessage.errors` and the message is still delivered.
package struct BGPDecodeError: Error, Hashable, Sendable, CustomStringConvertible {
    package var code: Code
    package var action: Action
    package var data: [UInt8]
    /// The path attribute type code at fault, for UPDATE attribute errors.
    package var attribute: UInt8?
    /// What was wrong, in words, for logs.
    package var detail: String

    package init(_ code: Code, _ action: Action = .sessionReset, data: [UInt8] = [], attribute: UInt8? = nil,
                 detail: String = "") {
        self.code = code
        self.action = action
        self.data = data
        self.attribute = attribute
        self.detail = detail
    }

    /// RFC 7606 §2 approaches, weakest first: when one UPDATE has several errors the
    /// strongest applies (§3 (h)).
    package enum Action: Int, Hashable, Sendable, Comparable, CustomStringConvertible {
        /// Drop the attribute, keep the route.
        case attributeDiscard
        /// Withdraw every route the UPDATE announces (NLRI field and MP_REACH_NLRI).
        case treatAsWithdraw
        /// Send a NOTIFICATION and close the session.
        case sessionReset

        package static func < (lhs: Action, rhs: Action) -> Bool { lhs.rawValue < rhs.rawValue }

        package var description: String {
            switch self {
            case .attributeDiscard: return "attribute_discard"
            case .treatAsWithdraw: return "treat_as_withdraw"
            case .sessionReset: return "session_reset"
            }
        }
    }

    /// The NOTIFICATION to send when the session is reset for this error.
    package var notification: NotificationMessage {
        NotificationMessage(code: code.errorCode, subcode: code.subcode, data: data)
    }

    package var description: String {
        let what = detail.isEmpty ? "" : ": \(detail)"
        return "\(code) (\(action))\(what)"
    }
}

extension BGPDecodeError {
    /// A NOTIFICATION error code and subcode with a stable name for logs and metrics.
    /// A struct rather than an enum so that adding a code does not break callers.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let errorCode: UInt8
        package let subcode: UInt8
        package let name: String

        package init(_ errorCode: UInt8, _ subcode: UInt8, _ name: String) {
            self.errorCode = errorCode
            self.subcode = subcode
            self.name = name
        }

        package var description: String { "\(errorCode)/\(subcode) \(name)" }

        // RFC 4271 §6.1: message header errors.
        package static let connectionNotSynchronized = Code(1, 1, "connection_not_synchronized")
        package static let badMessageLength = Code(1, 2, "bad_message_length")
        package static let badMessageType = Code(1, 3, "bad_message_type")
        // RFC 4271 §6.2: OPEN message errors (subcode 0 for a malformed optional parameter or
        // capability, which RFC 4271 gives no subcode of its own).
        package static let malformedOpen = Code(2, 0, "malformed_open")
        package static let unsupportedVersionNumber = Code(2, 1, "unsupported_version_number")
        package static let badPeerAS = Code(2, 2, "bad_peer_as")
        package static let badBGPIdentifier = Code(2, 3, "bad_bgp_identifier")
        package static let unsupportedOptionalParameter = Code(2, 4, "unsupported_optional_parameter")
        package static let unacceptableHoldTime = Code(2, 6, "unacceptable_hold_time")
        package static let unsupportedCapability = Code(2, 7, "unsupported_capability") // RFC 5492 §5
        // RFC 4271 §6.3: UPDATE message errors.
        package static let malformedAttributeList = Code(3, 1, "malformed_attribute_list")
        package static let unrecognizedWellKnownAttribute = Code(3, 2, "unrecognized_well_known_attribute")
        package static let missingWellKnownAttribute = Code(3, 3, "missing_well_known_attribute")
        package static let attributeFlagsError = Code(3, 4, "attribute_flags_error")
        package static let attributeLengthError = Code(3, 5, "attribute_length_error")
        package static let invalidOrigin = Code(3, 6, "invalid_origin_attribute")
        package static let invalidNextHop = Code(3, 8, "invalid_next_hop_attribute")
        package static let optionalAttributeError = Code(3, 9, "optional_attribute_error")
        package static let invalidNetworkField = Code(3, 10, "invalid_network_field")
        package static let malformedASPath = Code(3, 11, "malformed_as_path")
        // RFC 7313 §5: ROUTE-REFRESH message error.
        package static let invalidRouteRefreshLength = Code(7, 1, "invalid_route_refresh_length")
    }
}
