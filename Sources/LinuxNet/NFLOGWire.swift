/// Numbers of the netlink and nfnetlink_log wire format, as the kernel's UAPI headers define
/// them: `linux/netlink.h`, `linux/netfilter/nfnetlink.h`, `linux/netfilter/nfnetlink_log.h`.
///
/// Netlink headers and attribute headers are in host byte order; what nfnetlink puts inside
/// them (`nfgenmsg.res_id`, the hardware protocol, the copy range) is in network byte order.
enum NFLOGWire {
    // MARK: linux/netlink.h

    /// `NETLINK_NETFILTER`: the netlink protocol of nfnetlink.
    static let netlinkNetfilter: Int32 = 12
    /// `sizeof(struct nlmsghdr)`: length u32, type u16, flags u16, seq u32, pid u32.
    static let messageHeaderLength = 16
    /// `sizeof(struct nlattr)`: length u16, type u16.
    static let attributeHeaderLength = 4
    /// `NLMSG_ALIGNTO` and `NLA_ALIGNTO`.
    static let alignment = 4

    /// `NLMSG_NOOP`.
    static let messageNoop: UInt16 = 0x1
    /// `NLMSG_ERROR`: a `struct nlmsgerr` (negative errno, then the request's header).
    static let messageError: UInt16 = 0x2
    /// `NLMSG_DONE`: nfnetlink_log closes a datagram of several packets with one.
    static let messageDone: UInt16 = 0x3
    /// `NLMSG_OVERRUN`.
    static let messageOverrun: UInt16 = 0x4

    /// `NLM_F_REQUEST`.
    static let flagRequest: UInt16 = 0x01
    /// `NLM_F_ACK`: answer with an `NLMSG_ERROR` carrying 0 on success.
    static let flagAcknowledge: UInt16 = 0x04

    /// `NLA_TYPE_MASK`: the attribute type without `NLA_F_NESTED` (1 << 15) and
    /// `NLA_F_NET_BYTEORDER` (1 << 14).
    static let attributeTypeMask: UInt16 = 0x3fff

    /// `SOL_NETLINK` (bits/socket.h), for `NETLINK_*` socket options.
    static let socketLevelNetlink: Int32 = 270
    /// `SO_RCVBUFFORCE` (asm-generic/socket.h): `SO_RCVBUF` past `rmem_max`, with CAP_NET_ADMIN.
    static let receiveBufferForce: Int32 = 33

    // MARK: linux/netfilter/nfnetlink.h

    /// `sizeof(struct nfgenmsg)`: family u8, version u8, res_id be16.
    static let familyHeaderLength = 4
    /// `NFNETLINK_V0`.
    static let nfnetlinkVersion: UInt8 = 0
    /// `NFNL_SUBSYS_ULOG`: nfnetlink_log. The message type is `subsystem << 8 | operation`.
    static let subsystemULOG: UInt16 = 4

    // MARK: linux/netfilter/nfnetlink_log.h

    /// `NFULNL_MSG_PACKET`: a logged packet, kernel to us.
    static let packetMessage: UInt16 = subsystemULOG << 8 | 0
    /// `NFULNL_MSG_CONFIG`: bind and configure a group, us to kernel.
    static let configMessage: UInt16 = subsystemULOG << 8 | 1

    /// `enum nfulnl_attr_type`: the attributes of a packet message that we read.
    enum PacketAttribute {
        /// `NFULA_PACKET_HDR`: `struct nfulnl_msg_packet_hdr` (hw_protocol be16, hook u8, pad u8).
        static let packetHeader: UInt16 = 1
        /// `NFULA_PAYLOAD`: the packet from its network header, cut at the copy range.
        static let payload: UInt16 = 9
        /// `NFULA_PREFIX`: the rule's log prefix, NUL-terminated.
        static let prefix: UInt16 = 10
        /// `NFULA_SEQ`: be32, the group's own count of logged packets (with `NFULNL_CFG_F_SEQ`).
        static let sequence: UInt16 = 12
    }

    /// `enum nfulnl_attr_config`.
    enum ConfigAttribute {
        /// `NFULA_CFG_CMD`: `struct nfulnl_msg_config_cmd` (command u8).
        static let command: UInt16 = 1
        /// `NFULA_CFG_MODE`: `struct nfulnl_msg_config_mode` (copy_range be32, copy_mode u8, pad u8).
        static let mode: UInt16 = 2
        /// `NFULA_CFG_NLBUFSIZ`: be32 bytes the kernel gathers before sending.
        static let bufferSize: UInt16 = 3
        /// `NFULA_CFG_TIMEOUT`: be32, in 1/100 s.
        static let timeout: UInt16 = 4
        /// `NFULA_CFG_QTHRESH`: be32 packets per datagram.
        static let queueThreshold: UInt16 = 5
        /// `NFULA_CFG_FLAGS`: be16 `NFULNL_CFG_F_*`.
        static let flags: UInt16 = 6
    }

    /// `enum nfulnl_msg_config_cmds`.
    enum ConfigCommand {
        /// `NFULNL_CFG_CMD_BIND`: make this socket the receiver of the group in `res_id`.
        static let bind: UInt8 = 1
        /// `NFULNL_CFG_CMD_UNBIND`.
        static let unbind: UInt8 = 2
    }

    /// `NFULNL_COPY_PACKET`: copy the packet, up to the copy range.
    static let copyPacket: UInt8 = 0x02
    /// `NFULNL_CFG_F_SEQ`: number the group's packets (`NFULA_SEQ`), so gaps show losses.
    static let flagSequence: UInt16 = 0x0001
    /// The kernel's upper bound on `NFULA_CFG_NLBUFSIZ` (`nfulnl_set_nlbufsiz` rejects more).
    static let maximumBufferSize: UInt32 = 131_072
}
