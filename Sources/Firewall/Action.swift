/// What a rule does with a matching packet.
package enum Action: Hashable, Sendable {
    /// Drop; stop evaluating.
    case block
    /// Let through; stop evaluating.
    case allow
    /// Count and continue.
    case log
    /// Per source address: packets over `packetsPerSecond` (plus `burst`) are dropped and
    /// evaluation stops; packets within the limit continue to the next rule.
    case rateLimit(packetsPerSecond: UInt32, burst: UInt32)
}
