import Firewall
import Foundation
import LinuxNet
import MoatModel
import NetLab
import Testing

/// Differential test of the firewall's two backends against the kernel: random rulesets
/// compiled to nftables are loaded in a namespace, random IPv4/IPv6 TCP/UDP/ICMP packets
/// (with fragments, options, extension headers and garbled transports now and then) are sent
/// through them for real, and for every ruleset the kernel's per-rule counters and the
/// number of packets that got through must equal what `RulesetEvaluator` says for the same
/// packets. A mismatch is narrowed down to the first packet that differs, and the failure
/// prints the ruleset, that packet (summary and hex) and both verdicts.
///
/// `MOAT_FIREWALL_SEED=<n>` replays a run; each run draws a new seed and prints it on failure.
@Suite(.serialized, .timeLimit(.minutes(10)), .onLabThreads)
struct FirewallKernelTests {
    static let rulesets = 60
    static let packetsPerRuleset = 1_000

    @Test func evaluatorAgreesWithTheKernel() async throws {
        guard Requirements(Requirements.ip, Requirements.nft).met("FirewallKernelTests") else { return }
        let seed = ProcessInfo.processInfo.environment["MOAT_FIREWALL_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: 0..<(1 << 48))
        var random = SeededRandom(state: seed)
        let excluded = FirewallKernelKnownIssue.excludedThisRun
        let start = ContinuousClock.now
        var failures = 0
        var packetsSent = 0
        var rulesetsRun = 0
        try await withLab { lab in
            let kernel = try FirewallKernelLab(lab: lab)
            for number in 0..<Self.rulesets {
                let ruleset = try FirewallKernelRuleGenerator.ruleset(&random, excluding: excluded)
                let packets = (0..<Self.packetsPerRuleset).map { _ in FirewallKernelPacketGenerator.packet(&random, excluding: excluded) }
                rulesetsRun += 1
                packetsSent += packets.count
                let problem: String?
                do {
                    problem = try Self.check(ruleset, packets, kernel: kernel)
                } catch {
                    problem = "\(error)"
                }
                guard let problem else { continue }
                failures += 1
                Issue.record("seed \(seed), ruleset \(number) of \(Self.rulesets):\n\(ruleset.description)\n\(problem)")
                if failures >= 5 { break }
            }
        }
        let elapsed = ContinuousClock.now - start
        print("FirewallKernelTests: \(rulesetsRun) rulesets, \(packetsSent) packets through nftables in \(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1)))), seed \(seed), \(failures) disagreements\(excluded.isEmpty ? "" : ", known issues left out: " + excluded.map(\.rawValue).sorted().joined(separator: ","))")
    }

    /// Sends `packets` through `ruleset` in the kernel; nil when the kernel agrees with the
    /// evaluator, else what went wrong, down to the first differing packet.
    static func check(_ ruleset: FirewallKernelRuleset, _ packets: [FirewallKernelPacket],
                      kernel: FirewallKernelLab) throws -> String? {
        let text = try nftText(ruleset)
        do {
            try kernel.load(text)
        } catch {
            return "nft refused the compiled ruleset: \(error)\n\(text)"
        }
        let ids = ruleset.rules.map(\.id)
        let counters: FirewallKernelLab.Counters
        let report: String
        let expected = expected(ruleset, packets)
        do {
            counters = try kernel.run(text, packets, rules: ids, load: false)
            guard counters != expected else { return nil }
            report = try firstDifference(kernel: kernel, text: text, ruleset: ruleset, packets: packets)
        } catch {
            return "\(error)\nwith the ruleset:\n\(text)"
        }
        return """
            the kernel and the evaluator disagree over \(packets.count) packets:
              kernel    \(counters)
              evaluator \(expected)
            \(report)
            """
    }

    /// The receiver's whole ruleset for `ruleset`.
    static func nftText(_ ruleset: FirewallKernelRuleset) throws -> String {
        let compiler = NftCompiler(account: FirewallKernelRuleGenerator.account)
        let program = try compiler.compile(ruleset.inputs)
        let lists = ruleset.lists.sorted { $0.key < $1.key }.flatMap {
            NftLists.declarations(account: FirewallKernelRuleGenerator.account, list: $0.key, prefixes: $0.value)
        }
        return FirewallKernelLab.ruleset(program, chain: compiler.chainName, lists: lists)
    }

    /// What the kernel's counters should read after `packets`, by the evaluator.
    static func expected(_ ruleset: FirewallKernelRuleset, _ packets: [FirewallKernelPacket]) -> FirewallKernelLab.Counters {
        var evaluator = ruleset.evaluator
        let passed = packets.filter { evaluator.evaluate($0.bytes).verdict == .allow }.count
        var hits: [String: Int] = [:]
        for (rule, count) in zip(ruleset.rules, evaluator.hits) { hits[rule.id] = count }
        return FirewallKernelLab.Counters(seen: packets.count, passed: passed, hits: hits)
    }

    /// Finds the first packet on which the kernel and the evaluator differ: the shortest
    /// prefix of `packets` whose counters differ (binary search, a reload each), then that
    /// prefix's last packet alone; if sent alone it agrees (the difference needs company),
    /// the prefix is reported.
    static func firstDifference(kernel: FirewallKernelLab, text: String, ruleset: FirewallKernelRuleset,
                                packets: [FirewallKernelPacket]) throws -> String {
        func differs(_ list: [FirewallKernelPacket]) throws -> Bool {
            try kernel.run(text, list, rules: ruleset.rules.map(\.id)) != expected(ruleset, list)
        }
        var agree = 0
        var disagree = packets.count
        while disagree - agree > 1 {
            let middle = (agree + disagree) / 2
            if try differs(Array(packets[..<middle])) { disagree = middle } else { agree = middle }
        }
        let culprit = packets[disagree - 1]
        let alone = try kernel.run(text, [culprit], rules: ruleset.rules.map(\.id))
        let wanted = expected(ruleset, [culprit])
        var evaluator = ruleset.evaluator
        let decision = evaluator.evaluate(culprit.bytes)
        let rule = decision.ruleIndex.map { "rule [\($0)] \(ruleset.rules[$0].id)" } ?? "no rule (default allow)"
        let kernelVerdict = alone.seen != 1 ? "the packet never reached the hook (seen \(alone.seen))"
            : alone.passed == 1 ? "allow" : "block"
        var lines = [
            "first differing packet: #\(disagree - 1) \(culprit.summary)",
            "  hex: \(culprit.hex)",
            "  evaluator: \(decision.verdict) by \(rule); hits \(wanted.hits.filter { $0.value > 0 }.keys.sorted())",
            "  kernel:    \(kernelVerdict); hits \(alone.hits.filter { $0.value > 0 }.keys.sorted())",
        ]
        let differing = ruleset.rules.enumerated().filter { alone.hits[$0.element.id] != wanted.hits[$0.element.id] }
        let nft = text.split(separator: "\n").filter { line in
            differing.contains { line.contains("\"rule:\($0.element.id)\"") || line.contains("\(FirewallKernelRuleGenerator.account)_r\($0.offset)") }
        }
        if !nft.isEmpty {
            lines.append("  nft rules of \(differing.map(\.element.id).joined(separator: ", ")):")
            lines += nft.map { "    " + $0.trimmingCharacters(in: .whitespaces) }
        }
        if alone == wanted {
            lines.append("  (alone it agrees: the difference needs the \(disagree - 1) packets before it)")
        }
        return lines.joined(separator: "\n")
    }
}
