import MoatModel

/// Named IP lists as nft interval sets, one per family, referenced as `@list_<account>_<name>_v4`.
package enum NftLists {
    /// The set holding the `family` entries of an account's list.
    package static func setName(account: String, list: String, family: Packet.Family) -> String {
        "list_\(NftSyntax.identifier(account))_\(NftSyntax.identifier(list))_\(family == .ipv4 ? "v4" : "v6")"
    }

    /// The two set declarations (IPv4, IPv6) for a list, for inside a `table inet` block.
    /// Both are always declared, so rules can reference them even when one family is empty.
    package static func declarations(account: String, list: String, prefixes: [CIDR]) -> [String] {
        [Packet.Family.ipv4, .ipv6].map { family in
            let members = NftSyntax.disjoint(prefixes.filter { $0.isIPv4 == (family == .ipv4) })
            let type = family == .ipv4 ? "ipv4_addr" : "ipv6_addr"
            let elements = members.isEmpty ? "" : " elements = { " + members.map(NftSyntax.element).joined(separator: ", ") + " };"
            return "set \(setName(account: account, list: list, family: family)) { type \(type); flags interval;\(elements) }"
        }
    }
}
