/// The requests an ``NFLOGSocket`` sends to nfnetlink_log: pure bytes, so the layout can be
/// checked against the headers without a kernel.
package enum NFLOGConfigEncoder {
    /// One `NFULNL_MSG_CONFIG` that binds the socket to `configuration.group` and sets copy
    /// mode, batching and sequence numbers, acknowledged as a whole (the kernel applies the
    /// attributes after creating the group's instance).
    ///
    /// No `NFULNL_CFG_CMD_PF_BIND`: an nftables `log group` rule goes to nfnetlink_log by
    /// its type whatever logger the family is bound to; binding would only change the
    /// namespace's default logger, which other users (conntrack's invalid-packet logging)
    /// rely on.
    package static func bind(_ configuration: NFLOGConfiguration, sequence: UInt32) -> [UInt8] {
        var attributes: [UInt8] = []
        append(NFLOGWire.ConfigAttribute.command, [NFLOGWire.ConfigCommand.bind], to: &attributes)
        // struct nfulnl_msg_config_mode: copy_range be32, copy_mode u8, pad u8.
        append(NFLOGWire.ConfigAttribute.mode, bigEndian(configuration.copyRange) + [NFLOGWire.copyPacket, 0], to: &attributes)
        append(NFLOGWire.ConfigAttribute.queueThreshold, bigEndian(max(1, configuration.queueThreshold)), to: &attributes)
        append(NFLOGWire.ConfigAttribute.timeout, bigEndian(configuration.flushTimeoutHundredths), to: &attributes)
        if let size = configuration.batchBufferSize {
            append(NFLOGWire.ConfigAttribute.bufferSize, bigEndian(size), to: &attributes)
        }
        append(NFLOGWire.ConfigAttribute.flags, [UInt8(NFLOGWire.flagSequence >> 8), UInt8(NFLOGWire.flagSequence & 0xff)], to: &attributes)
        return message(group: configuration.group, sequence: sequence, attributes: attributes)
    }

    /// `NFULNL_CFG_CMD_UNBIND` for `group`. Closing the socket unbinds as well.
    package static func unbind(group: UInt16, sequence: UInt32) -> [UInt8] {
        var attributes: [UInt8] = []
        append(NFLOGWire.ConfigAttribute.command, [NFLOGWire.ConfigCommand.unbind], to: &attributes)
        return message(group: group, sequence: sequence, attributes: attributes)
    }

    /// nlmsghdr (host order), nfgenmsg (`AF_UNSPEC`, version 0, the group as res_id), attributes.
    private static func message(group: UInt16, sequence: UInt32, attributes: [UInt8]) -> [UInt8] {
        let length = NFLOGWire.messageHeaderLength + NFLOGWire.familyHeaderLength + attributes.count
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        bytes += hostOrder(UInt32(length))
        bytes += hostOrder(NFLOGWire.configMessage)
        bytes += hostOrder(NFLOGWire.flagRequest | NFLOGWire.flagAcknowledge)
        bytes += hostOrder(sequence)
        bytes += hostOrder(UInt32(0)) // nlmsg_pid: 0 is the kernel's side; it fills in ours
        bytes += [0, NFLOGWire.nfnetlinkVersion, UInt8(group >> 8), UInt8(group & 0xff)]
        return bytes + attributes
    }

    /// nlattr (length and type in host order), the value, zeros up to NLA_ALIGN.
    private static func append(_ type: UInt16, _ value: [UInt8], to bytes: inout [UInt8]) {
        let length = NFLOGWire.attributeHeaderLength + value.count
        bytes += hostOrder(UInt16(length)) + hostOrder(type) + value
        bytes += [UInt8](repeating: 0, count: NFLOGMessageDecoder.aligned(length) - length)
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
    }

    private static func hostOrder<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }
}
