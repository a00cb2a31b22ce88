/// NOTIFICATION (RFC 4271 §4.5): an error code, a subcode and data; the connection is
/// closed right after it is sent.
package struct NotificationMessage: Hashable, Sendable, CustomStringConvertible {
    package var code: UInt8
    package var subcode: UInt8
    package var data: [UInt8]

    package init(code: UInt8, subcode: UInt8, data: [UInt8] = []) {
        self.code = code
        self.subcode = subcode
        self.data = data
    }

    /// RFC 4271 §6.5.
    package static let holdTimerExpired = NotificationMessage(code: 4, subcode: 0)

    /// RFC 4271 §6.6 with the subcodes of RFC 6608 §4: a message that the state does not allow.
    package static func finiteStateMachineError(receivedIn state: SessionStateMachine.State) -> NotificationMessage {
        let subcode: UInt8
        switch state {
        case .openSent: subcode = 1
        case .openConfirm: subcode = 2
        case .established: subcode = 3
        default: subcode = 0
        }
        return NotificationMessage(code: 5, subcode: subcode)
    }

    /// Cease (RFC 4486). For administrative shutdown and reset, `communication` is the
    /// operator's message of RFC 9003 (UTF-8, cut to 255 bytes on a character boundary).
    package static func cease(_ subcode: CeaseSubcode, communication: String? = nil) -> NotificationMessage {
        var data: [UInt8] = []
        if let communication, subcode == .administrativeShutdown || subcode == .administrativeReset {
            var text: [UInt8] = []
            for character in communication {
                let bytes = Array(String(character).utf8)
                guard text.count + bytes.count <= 255 else { break }
                text += bytes
            }
            data = [UInt8(text.count)] + text
        }
        return NotificationMessage(code: 6, subcode: subcode.rawValue, data: data)
    }

    /// RFC 4486 §4.
    package enum CeaseSubcode: UInt8, Sendable, CaseIterable {
        case maximumPrefixesReached = 1
        case administrativeShutdown = 2
        case peerDeconfigured = 3
        case administrativeReset = 4
        case connectionRejected = 5
        case otherConfigurationChange = 6
        case connectionCollisionResolution = 7
        case outOfResources = 8
    }

    /// The shutdown communication of RFC 9003 §2, when the data holds a well-formed one.
    package var shutdownCommunication: String? {
        guard code == 6, subcode == 2 || subcode == 4, let length = data.first, length > 0,
              data.count >= 1 + Int(length)
        else { return nil }
        return String(validating: data[1...Int(length)], as: UTF8.self)
    }

    /// Stable snake_case name: "cease/administrative_shutdown", "hold_timer_expired".
    package var name: String {
        let codeName = Self.codeNames[code] ?? "code_\(code)"
        if let sub = Self.subcodeNames[code]?[subcode] { return "\(codeName)/\(sub)" }
        return subcode == 0 ? codeName : "\(codeName)/subcode_\(subcode)"
    }

    package var description: String {
        var text = "\(code)/\(subcode) \(name)"
        if let message = shutdownCommunication { text += " \"\(message)\"" }
        return text
    }

    static func decode(body: [UInt8]) -> NotificationMessage {
        // The header check guarantees the 2 octets of code and subcode.
        NotificationMessage(code: body[0], subcode: body[1], data: Array(body.dropFirst(2)))
    }

    func encode(into bytes: inout [UInt8]) {
        bytes.append(code)
        bytes.append(subcode)
        bytes.append(contentsOf: data)
    }

    private static let codeNames: [UInt8: String] = [
        1: "message_header_error", 2: "open_message_error", 3: "update_message_error",
        4: "hold_timer_expired", 5: "fsm_error", 6: "cease", 7: "route_refresh_message_error",
    ]

    private static let subcodeNames: [UInt8: [UInt8: String]] = [
        1: [1: "connection_not_synchronized", 2: "bad_message_length", 3: "bad_message_type"],
        2: [1: "unsupported_version_number", 2: "bad_peer_as", 3: "bad_bgp_identifier",
            4: "unsupported_optional_parameter", 6: "unacceptable_hold_time", 7: "unsupported_capability"],
        3: [1: "malformed_attribute_list", 2: "unrecognized_well_known_attribute", 3: "missing_well_known_attribute",
            4: "attribute_flags_error", 5: "attribute_length_error", 6: "invalid_origin_attribute",
            8: "invalid_next_hop_attribute", 9: "optional_attribute_error", 10: "invalid_network_field",
            11: "malformed_as_path"],
        5: [1: "unexpected_message_in_open_sent", 2: "unexpected_message_in_open_confirm",
            3: "unexpected_message_in_established"],
        6: [1: "maximum_prefixes_reached", 2: "administrative_shutdown", 3: "peer_deconfigured",
            4: "administrative_reset", 5: "connection_rejected", 6: "other_configuration_change",
            7: "connection_collision_resolution", 8: "out_of_resources"],
        7: [1: "invalid_message_length"],
    ]
}
