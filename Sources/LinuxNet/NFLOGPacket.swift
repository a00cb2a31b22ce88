/// One packet that an nftables `log group N` rule handed to nfnetlink_log
/// (an `NFULNL_MSG_PACKET` message).
package struct NFLOGPacket: Hashable, Sendable {
    /// The netfilter family of the hook that logged it (`nfgenmsg.nfgen_family`): 2 for IPv4,
    /// 10 for IPv6 (the `NFPROTO_*` numbers equal `AF_INET` and `AF_INET6`).
    package var family: UInt8
    /// The NFLOG group (`nfgenmsg.res_id`).
    package var group: UInt16
    /// The packet's link-layer protocol (`nfulnl_msg_packet_hdr.hw_protocol`, an EtherType
    /// such as 0x0800 or 0x86dd), in host byte order.
    package var hardwareProtocol: UInt16
    /// The netfilter hook number (0 is prerouting).
    package var hook: UInt8
    /// The rule's `log prefix`, without the terminating NUL; nil when the rule set none.
    package var prefix: String?
    /// The group's number for this packet (`NFULA_SEQ`), present when the socket asked for it;
    /// a gap means the kernel dropped messages for us.
    package var sequence: UInt32?
    /// The packet from its network header on, cut at the copy range or the rule's `snaplen`:
    /// the IP header's length fields, not this count, say how long the packet was.
    package var payload: [UInt8]

    package init(family: UInt8, group: UInt16, hardwareProtocol: UInt16, hook: UInt8 = 0,
                 prefix: String? = nil, sequence: UInt32? = nil, payload: [UInt8]) {
        self.family = family
        self.group = group
        self.hardwareProtocol = hardwareProtocol
        self.hook = hook
        self.prefix = prefix
        self.sequence = sequence
        self.payload = payload
    }
}
