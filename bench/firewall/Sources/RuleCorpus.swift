import Firewall
import MoatModel

/// The benchmark's synthetic edge: many accounts, each with one /24 and a handful of varied
/// rules, and one account that also owns a very large IP list.
///
/// Deterministic (no randomness), so every run compiles and loads the same text. Every rule
/// is written so that the probe flow (``probeSource`` → the target account, UDP to
/// ``probePort``) matches none of them: a probe packet walks its account's chain to the end.
struct RuleCorpus {
    struct Account {
        var id: String
        var prefix: CIDR
        /// (rule text, action) in order.
        var rules: [(text: String, action: Action)]
        var lists: [String: [CIDR]]
    }

    static let probeSource = "198.18.0.2"
    static let probeSourcePort: UInt16 = 40000
    static let probePort: UInt16 = 5001

    var accounts: [Account]
    /// The account the probe flow is addressed to: the last in dispatch order, so in the
    /// linear layout a probe is tested against every other account's rules first.
    var target: Account { accounts[accounts.count - 1] }
    /// The address in the target account's /24 the probes go to.
    var probeDestination: String { Self.host(target.prefix, 10) }

    init(accounts count: Int, rulesPerAccount: Int, bigListEntries: Int) {
        accounts = (0..<count).map { index in
            let prefix = Self.accountPrefix(index)
            var lists: [String: [CIDR]] = [:]
            if index % 4 == 0 { lists["trusted"] = Self.trusted(index) }
            if index == count - 1 { lists["blocklist"] = Self.blocklist(bigListEntries) }
            let rules = (0..<rulesPerAccount).map { Self.rule($0, account: index, prefix: prefix, lists: lists) }
            return Account(id: String(format: "a%04d", index), prefix: prefix, rules: rules, lists: lists)
        }
    }

    var ruleCount: Int { accounts.reduce(0) { $0 + $1.rules.count } }

    /// Account `index`'s /24: 10.64.0.0/24, 10.64.1.0/24, … inside 10.64.0.0/10.
    static func accountPrefix(_ index: Int) -> CIDR {
        CIDR("10.\(64 + index / 256).\(index % 256).0/24")!
    }

    static func host(_ prefix: CIDR, _ last: Int) -> String {
        let text = prefix.description.split(separator: "/")[0]
        return text.split(separator: ".").dropLast().joined(separator: ".") + ".\(last)"
    }

    /// Ten rule shapes a customer writes: port sets, CIDR sets, TCP flags, lists, masks,
    /// `and`/`or`/`not`, every action. Numbers vary with the account.
    static func rule(_ n: Int, account i: Int, prefix: CIDR, lists: [String: [CIDR]]) -> (text: String, action: Action) {
        let trusted = lists["trusted"] != nil ? "$trusted" : "{203.0.113.0/24 198.51.100.\(i % 256)/32}"
        switch n % 10 {
        case 0:
            return ("tcp.dstport in {22 3389 \(10000 + i)} and not ip.src in \(trusted)", .block)
        case 1:
            return ("udp.dstport in {53 123 1900 11211} and not ip.src in {192.0.2.\(i % 256)/32 2001:db8::/32}",
                    .rateLimit(packetsPerSecond: 1000, burst: 200))
        case 2:
            return ("tcp.flags.syn and not tcp.flags.ack and tcp.dstport in {80 443 8000..8100}",
                    .rateLimit(packetsPerSecond: 5000, burst: 1000))
        case 3:
            let sources = lists["blocklist"] != nil ? "$blocklist" : "{192.0.2.0/24 100.64.0.0/10 172.16.\(i % 16).0/24}"
            return ("ip.src in \(sources) or ip.ttl < 2", .block)
        case 4:
            return ("ip.frag and ip.len < 200", .block)
        case 5:
            return ("icmp.type in {13 15 17} or (icmp.type == 8 and ip.src in {198.51.100.0/24 192.0.2.\(i % 256)/32})", .block)
        case 6:
            return ("ip.proto == gre and not ip.src == 203.0.113.\(i % 250 + 1)", .block)
        case 7:
            return ("tcp.dstport in {1000..2000 3000..4000} or udp.dstport in {27015..27030 \(20000 + i)}", .log)
        case 8:
            return ("ip.dst == \(host(prefix, 25)) and tcp.dstport in {25 465 587}", .allow)
        default:
            return ("(ip.proto == udp and udp.srcport in {19 1900 11211}) or (ip.proto == tcp and tcp.flags & 0x3f == 0)", .block)
        }
    }

    static func trusted(_ index: Int) -> [CIDR] {
        [CIDR("203.0.113.0/24")!, CIDR("198.51.\(index % 256).0/24")!,
         CIDR("100.\(64 + index % 64).0.0/16")!, CIDR("2001:db8:\(String(index, radix: 16))::/48")!]
    }

    /// `entries` disjoint, non-adjacent prefixes (nine /32s to one /24), so nft keeps every
    /// one as its own interval.
    static func blocklist(_ entries: Int) -> [CIDR] {
        (0..<entries).map { k in
            if k % 10 == 9 {
                let n = k / 10
                return CIDR("31.\(n / 256 % 256).\(n % 256).0/24")!
            }
            let address = UInt32(20 << 24) + UInt32(k) * 3
            return CIDR("\(address >> 24).\(address >> 16 & 255).\(address >> 8 & 255).\(address & 255)/32")!
        }
    }
}
