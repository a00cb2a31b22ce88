#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// `IP_TRANSPARENT` / `IPV6_TRANSPARENT` as NIO socket options: a socket that may take packets
/// (and send from addresses) that are not its own, which nftables TPROXY needs. The names are
/// from `<linux/in.h>` and `<linux/in6.h>`; Glibc does not export them.
enum TransparentOption {
    static let ipTransparent: CInt = 19
    static let ipv6Transparent: CInt = 75

    /// The option for a socket bound to `host` (an IPv6 address, `::` included, means an IPv6
    /// socket, whose flag also covers IPv4-mapped traffic).
    static func option(forHost host: String) -> ChannelOptions.Types.SocketOption {
        host.contains(":") ? ChannelOptions.Types.SocketOption(level: NIOBSDSocket.OptionLevel(rawValue: CInt(IPPROTO_IPV6)), name: NIOBSDSocket.Option(rawValue: ipv6Transparent))
                           : ChannelOptions.Types.SocketOption(level: NIOBSDSocket.OptionLevel(rawValue: CInt(SOL_IP)), name: NIOBSDSocket.Option(rawValue: ipTransparent))
    }
}
