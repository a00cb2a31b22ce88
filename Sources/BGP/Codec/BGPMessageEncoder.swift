/// `BGPMessage` to bytes, header included (RFC 4271 §4).
package struct BGPMessageEncoder: Sendable {
    /// The negotiated options; `.beforeNegotiation` until the session is established.
    package var options: BGPCodecOptions

    package init(options: BGPCodecOptions = .beforeNegotiation) {
        self.options = options
    }

    package func encode(_ message: BGPMessage) throws(BGPEncodeError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xff, count: 16)
        bytes += [0, 0, message.type.rawValue]
        switch message {
        case .open(let open):
            try open.encode(into: &bytes)
        case .update(let update):
            try UpdateEncoder(options: options).encode(update, into: &bytes)
        case .notification(let notification):
            notification.encode(into: &bytes)
        case .keepalive:
            break
        case .routeRefresh(let refresh):
            refresh.encode(into: &bytes)
        }
        guard bytes.count <= BGPMessageDecoder.maximumLength else {
            throw BGPEncodeError(.messageTooLong, "\(message.type) of \(bytes.count) bytes")
        }
        bytes[16] = UInt8(bytes.count >> 8)
        bytes[17] = UInt8(truncatingIfNeeded: bytes.count)
        return bytes
    }
}
