import Foundation

/// Reads rule hit counters back from `nft -j list table …`.
package enum NftCounters {
    /// Packets per rule id, summed over every nft rule whose comment is `rule:ID`.
    package static func perRule(fromJSON data: Data) -> [String: UInt64] {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let items = root["nftables"] as? [[String: Any]] else { return [:] }
        var hits: [String: UInt64] = [:]
        for item in items {
            guard let rule = item["rule"] as? [String: Any], let comment = rule["comment"] as? String,
                  comment.hasPrefix("rule:"), let expressions = rule["expr"] as? [[String: Any]] else { continue }
            let id = String(comment.dropFirst("rule:".count))
            for expression in expressions {
                if let counter = expression["counter"] as? [String: Any], let packets = counter["packets"] as? NSNumber {
                    hits[id, default: 0] += packets.uint64Value
                }
            }
        }
        return hits
    }
}
