/// Netlink datagrams from nfnetlink_log to typed messages: a pure function over bytes.
///
/// It never traps and always ends. Every length is checked against what is left before it is
/// used; a message whose `nlmsg_len` cannot be trusted ends the datagram, since nothing after
/// it can be found; an attribute that does not fit skips its message. What is skipped comes
/// back as an ``NFLOGDecodeProblem``, so the caller can count it.
package enum NFLOGMessageDecoder {
    package static func decode(_ datagram: [UInt8]) -> NFLOGDatagram {
        datagram.withUnsafeBytes { decode($0) }
    }

    package static func decode(_ datagram: UnsafeRawBufferPointer) -> NFLOGDatagram {
        var result = NFLOGDatagram()
        var offset = 0
        while offset < datagram.count {
            let left = datagram.count - offset
            guard left >= NFLOGWire.messageHeaderLength else {
                result.problems.append(NFLOGDecodeProblem(.trailingBytes, at: offset,
                                                          "\(left) bytes left, a netlink header takes \(NFLOGWire.messageHeaderLength)"))
                break
            }
            let length = Int(datagram.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            guard length >= NFLOGWire.messageHeaderLength, length <= left else {
                result.problems.append(NFLOGDecodeProblem(.messageLength, at: offset, "nlmsg_len \(length) with \(left) bytes left"))
                break
            }
            decodeMessage(UnsafeRawBufferPointer(rebasing: datagram[offset..<offset + length]), at: offset, into: &result)
            // NLMSG_ALIGN: the next message starts on a 4-byte boundary.
            offset += min(aligned(length), left)
        }
        return result
    }

    private static func decodeMessage(_ message: UnsafeRawBufferPointer, at offset: Int, into result: inout NFLOGDatagram) {
        let type = message.loadUnaligned(fromByteOffset: 4, as: UInt16.self)
        switch type {
        case NFLOGWire.packetMessage:
            switch decodePacket(message, at: offset) {
            case .success(let packet): result.packets.append(packet)
            case .failure(let problem): result.problems.append(problem)
            }
        case NFLOGWire.messageError:
            // struct nlmsgerr: int error (negative errno), then the request's header.
            guard message.count >= NFLOGWire.messageHeaderLength + 4 else {
                result.problems.append(NFLOGDecodeProblem(.shortMessage, at: offset, "NLMSG_ERROR of \(message.count) bytes has no error code"))
                return
            }
            let sequence = message.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
            let error = message.loadUnaligned(fromByteOffset: NFLOGWire.messageHeaderLength, as: Int32.self)
            result.acknowledgements.append(NetlinkAcknowledgement(sequence: sequence, errno: 0 &- error))
        default:
            result.otherMessages += 1
        }
    }

    private static func decodePacket(_ message: UnsafeRawBufferPointer, at offset: Int) -> Result<NFLOGPacket, NFLOGDecodeProblem> {
        let start = NFLOGWire.messageHeaderLength
        guard message.count >= start + NFLOGWire.familyHeaderLength else {
            return .failure(NFLOGDecodeProblem(.shortMessage, at: offset, "packet message of \(message.count) bytes has no nfgenmsg"))
        }
        let family = message[start]
        let group = bigEndian16(message, at: start + 2)
        var header: (hardwareProtocol: UInt16, hook: UInt8)?
        var prefix: String?
        var sequence: UInt32?
        var payload: [UInt8]?
        var position = start + NFLOGWire.familyHeaderLength
        while position < message.count {
            let left = message.count - position
            let length = left >= NFLOGWire.attributeHeaderLength ? Int(message.loadUnaligned(fromByteOffset: position, as: UInt16.self)) : 0
            guard length >= NFLOGWire.attributeHeaderLength, length <= left else {
                return .failure(NFLOGDecodeProblem(.attributeLength, at: offset,
                                                   "attribute at byte \(position) of the message: length \(length) with \(left) bytes left"))
            }
            let type = message.loadUnaligned(fromByteOffset: position + 2, as: UInt16.self) & NFLOGWire.attributeTypeMask
            let value = UnsafeRawBufferPointer(rebasing: message[(position + NFLOGWire.attributeHeaderLength)..<(position + length)])
            switch type {
            case NFLOGWire.PacketAttribute.packetHeader:
                guard value.count >= 4 else { return .failure(tooShort("NFULA_PACKET_HDR", value.count, 4, offset)) }
                header = (bigEndian16(value, at: 0), value[2])
            case NFLOGWire.PacketAttribute.sequence:
                guard value.count >= 4 else { return .failure(tooShort("NFULA_SEQ", value.count, 4, offset)) }
                sequence = UInt32(bigEndian16(value, at: 0)) << 16 | UInt32(bigEndian16(value, at: 2))
            case NFLOGWire.PacketAttribute.prefix:
                prefix = String(decoding: value.prefix(while: { $0 != 0 }), as: UTF8.self)
            case NFLOGWire.PacketAttribute.payload:
                payload = Array(value)
            default:
                break
            }
            // NLA_ALIGN: attributes are padded to 4 bytes; the last one's padding may be missing.
            position += min(aligned(length), left)
        }
        guard let header else {
            return .failure(NFLOGDecodeProblem(.missingPacketHeader, at: offset, "packet message without NFULA_PACKET_HDR"))
        }
        guard let payload else {
            return .failure(NFLOGDecodeProblem(.missingPayload, at: offset, "packet message without NFULA_PAYLOAD"))
        }
        return .success(NFLOGPacket(family: family, group: group, hardwareProtocol: header.hardwareProtocol, hook: header.hook,
                                    prefix: prefix, sequence: sequence, payload: payload))
    }

    private static func tooShort(_ name: String, _ count: Int, _ needed: Int, _ offset: Int) -> NFLOGDecodeProblem {
        NFLOGDecodeProblem(.attributeSize, at: offset, "\(name) of \(count) bytes, needs \(needed)")
    }

    private static func bigEndian16(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    static func aligned(_ length: Int) -> Int {
        (length + NFLOGWire.alignment - 1) & ~(NFLOGWire.alignment - 1)
    }
}
