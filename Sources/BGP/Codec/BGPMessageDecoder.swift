/// Bytes to `BGPMessage` (RFC 4271 §4). Pure: the IO adapter frames the stream with
/// `frameLength(of:)` and hands each whole message to `decode(_:)`.
///
/// A thrown `BGPDecodeError` is always a session reset: send its `notification` and close.
/// RFC 7606's milder outcomes arrive inside the message (`UpdateMessage.errors`).
package struct BGPMessageDecoder: Sendable {
    package static let headerLength = 19
    /// RFC 4271 §4.1 (no RFC 8654 extended messages).
    package static let maximumLength = 4096

    /// The negotiated options; `.beforeNegotiation` until the session is established.
    package var options: BGPCodecOptions

    package init(options: BGPCodecOptions = .beforeNegotiation) {
        self.options = options
    }

    /// The length of the message at the start of `bytes`, once its header has arrived; nil
    /// while fewer than 19 bytes are buffered. Checks the marker and the length field so
    /// that a bad stream is refused before 4 KB of garbage is buffered.
    package static func frameLength<Bytes: Collection>(of bytes: Bytes) throws(BGPDecodeError) -> Int?
    where Bytes.Element == UInt8 {
        guard bytes.count >= headerLength else { return nil }
        let header = Array(bytes.prefix(headerLength))
        try checkHeader(header)
        return Int(header[16]) << 8 | Int(header[17])
    }

    /// Decodes exactly one message, header included.
    package func decode(_ message: [UInt8]) throws(BGPDecodeError) -> BGPMessage {
        guard message.count >= Self.headerLength else {
            throw BGPDecodeError(.badMessageLength, data: .u16(UInt16(message.count)), detail: "\(message.count) bytes is shorter than a header")
        }
        let type = try Self.checkHeader(message)
        let lengthField = UInt16(message[16]) << 8 | UInt16(message[17])
        guard Int(lengthField) == message.count else {
            throw BGPDecodeError(.badMessageLength, data: .u16(lengthField),
                                 detail: "length field \(lengthField) for a \(message.count)-byte message")
        }
        let body = Array(message[Self.headerLength...])
        switch type {
        case .open:
            return .open(try OpenMessage.decode(body: body, lengthField: lengthField))
        case .update:
            return .update(try UpdateDecoder(options: options).decode(body))
        case .notification:
            return .notification(NotificationMessage.decode(body: body))
        case .keepalive:
            return .keepalive
        case .routeRefresh:
            return .routeRefresh(try RouteRefreshMessage.decode(body: body, message: message))
        }
    }

    /// RFC 4271 §6.1: marker all ones, length 19–4096 and at least the type's minimum,
    /// a known type. KEEPALIVE is exactly 19 bytes.
    @discardableResult
    private static func checkHeader(_ header: [UInt8]) throws(BGPDecodeError) -> MessageType {
        guard header.prefix(16).allSatisfy({ $0 == 0xff }) else {
            throw BGPDecodeError(.connectionNotSynchronized, detail: "marker is not all ones")
        }
        let length = UInt16(header[16]) << 8 | UInt16(header[17])
        guard length >= headerLength, length <= maximumLength else {
            throw BGPDecodeError(.badMessageLength, data: .u16(length), detail: "length field \(length)")
        }
        guard let type = MessageType(rawValue: header[18]) else {
            throw BGPDecodeError(.badMessageType, data: [header[18]], detail: "message type \(header[18])")
        }
        guard Int(length) >= type.minimumLength, type != .keepalive || length == headerLength else {
            throw BGPDecodeError(.badMessageLength, data: .u16(length), detail: "\(type) of \(length) bytes")
        }
        return type
    }
}
