import DDoS
import Foundation
import LinuxNet
import Logging
import MoatModel
import ServiceLifecycle
import Synchronization

/// DDoS protection on this edge, without waiting for core:
/// - as a config applier it loads the managed rules and the sampling rule (`inet moat_ddos`);
/// - as a service it reads the sampled packets from NFLOG on a thread of its own, judges every
///   destination ten times a second on another, and on an attack installs the fingerprint's drop rule
///   (`inet moat_mitigate`), keeps it while the attack lasts and lets it expire after it;
/// - attack events go to core as they happen (`attackReports`).
package final class DDoSProtection: ConfigApplier, Service, MetricsTextSource, AttackEventSource {
    package let name = "ddos"

    package struct Options: Sendable {
        package var nflogGroup: UInt16 = 7
        package var tick: Duration = .milliseconds(100)
        package var detector = Detector.Options()

        package init() {}
    }

    struct State {
        var detector: Detector
        var tracker = AttackTracker()
        /// Attacks detected and waiting for their fingerprint's samples.
        var pending: [IPAddress: (protected: ProtectedTargets.Target, rates: Detector.Rates, detectedAt: Date)] = [:]
        /// Samples whose packet did not parse.
        var unparsed = 0
    }

    let options: Options
    let nft: Nft
    let logger: Logger
    private let state: Mutex<State>
    private let reader = Mutex<NFLOGSocket?>(nil)
    private let reports: AsyncStream<Attack>.Continuation
    package let attackReports: AsyncStream<Attack>
    private let started = ContinuousClock.now
    private let prepared = Mutex<[Int: (text: String, ruleset: ManagedRuleset)]>([:])
    private let loadedText = Mutex<String?>(nil)
    /// Tells the NFLOG and judging threads to stop.
    private let stopping = Atomic<Bool>(false)

    package init(options: Options = .init(), nft: Nft = Nft(), logger: Logger) throws {
        self.options = options
        self.nft = nft
        self.logger = logger
        state = Mutex(State(detector: Detector(options: options.detector)))
        (attackReports, reports) = AsyncStream.makeStream(of: Attack.self, bufferingPolicy: .bufferingNewest(10_000))
        // Mitigations start empty: a restarted edge finds its attacks again within a second.
        try nft.load(MitigationRuleset.reset())
    }

    // MARK: config

    package func prepare(_ config: EdgeConfig) async throws {
        let ruleset = ManagedRuleset(config: config, nflogGroup: options.nflogGroup)
        let text = ruleset.render()
        if text != loadedText.withLock({ $0 }) { try nft.check(text) }
        prepared.withLock { $0 = [config.version: (text, ruleset)] }
    }

    package func commit(_ config: EdgeConfig) async throws {
        let entry = prepared.withLock { $0.removeValue(forKey: config.version) }
        let ruleset = entry?.ruleset ?? ManagedRuleset(config: config, nflogGroup: options.nflogGroup)
        let text = entry?.text ?? ruleset.render()
        if text != loadedText.withLock({ $0 }) {
            try nft.load(text)
            loadedText.withLock { $0 = text }
            for (key, value) in ruleset.sysctls.sorted(by: { $0.key < $1.key }) { try IPRoute.setSysctl(key, value) }
        }
        let targets = ProtectedTargets(prefixes: config.prefixes, ddos: config.ddos)
        let actions = state.withLock { state in
            state.detector.reconfigure(targets: targets, sampleRate: config.ddos.settings.sampleRate)
            state.tracker.options.cooldown = config.ddos.settings.mitigation.cooldown
            return state.tracker.apply(config.ddos.overrides, at: Date())
        }
        perform(actions)
    }

    // MARK: service

    package func run() async throws {
        let socket: NFLOGSocket
        do {
            socket = try NFLOGSocket(NFLOGConfiguration(group: options.nflogGroup, queueThreshold: 16, flushTimeout: .milliseconds(20)))
        } catch {
            logger.error("ddos: cannot read NFLOG group \(options.nflogGroup); managed rules stay, detection is off", metadata: ["error": "\(error)"])
            return try await gracefulShutdown()
        }
        reader.withLock { $0 = socket }
        let thread = Thread { [self] in self.read(socket) }
        thread.name = "moat-ddos-nflog"
        thread.start()
        // Judging runs `nft`, which blocks: on a thread of its own it neither waits for the
        // shared pool (busy serving the API) nor holds it up.
        let judge = Thread { [self] in self.judge() }
        judge.name = "moat-ddos-judge"
        judge.start()
        defer { stopping.store(true, ordering: .relaxed) }
        // Shutdown ends the wait: a clean stop, not an error.
        try? await gracefulShutdown()
    }

    /// The judging thread: a tick every `options.tick` until stopped.
    private func judge() {
        let micros = UInt32(max(0.001, options.tick.timeInterval) * 1_000_000)
        while !stopping.load(ordering: .relaxed) {
            usleep(micros)
            tick()
        }
    }

    /// The NFLOG thread: every sample goes into the detector.
    private func read(_ socket: NFLOGSocket) {
        var samples: [PacketSample] = []
        while !stopping.load(ordering: .relaxed) {
            let packets: [NFLOGPacket]
            do {
                packets = try socket.receive(pollTimeout: 100)
            } catch {
                logger.error("ddos: NFLOG read failed; detection stops", metadata: ["error": "\(error)"])
                return
            }
            guard !packets.isEmpty else { continue }
            samples.removeAll(keepingCapacity: true)
            var unparsed = 0
            for packet in packets {
                if let sample = PacketSample.parse(ipPacket: packet.payload) { samples.append(sample) } else { unparsed += 1 }
            }
            let now = seconds()
            state.withLock { state in
                state.unparsed += unparsed
                for sample in samples { state.detector.record(sample, at: now) }
            }
        }
    }

    func seconds() -> Double {
        let elapsed = ContinuousClock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Judges, fingerprints, mitigates: one pass.
    func tick() {
        let now = seconds()
        let date = Date()
        let actions = state.withLock { state -> [AttackTracker.Action] in
            var actions: [AttackTracker.Action] = []
            for event in state.detector.tick(at: now) {
                switch event {
                case .started(let target, let protected, let rates):
                    state.pending[target] = (protected, rates, date)
                case .ended(let target):
                    state.pending[target] = nil
                    actions += state.tracker.ended(target, at: date)
                }
            }
            for (target, pending) in state.pending {
                guard let (attack, baseline) = state.detector.fingerprintSamples(of: target, at: now) else { continue }
                state.pending[target] = nil
                let fingerprint = Fingerprinter.fingerprint(target: target, attack: attack, baseline: baseline)
                actions += state.tracker.detected(id: Self.newID(), target: target, in: pending.protected, rates: pending.rates,
                                                  fingerprint: fingerprint, detectedAt: pending.detectedAt, at: date)
            }
            for attack in state.tracker.active where attack.status == .active {
                if let rates = state.detector.rates(of: attack.target) { state.tracker.observed(attack.target, rates: rates, at: date) }
            }
            actions += state.tracker.tick(at: date)
            return actions
        }
        perform(actions)
    }

    /// Carries out the tracker's actions: nft for rules, the stream for reports (with the drop
    /// counters read just before).
    func perform(_ actions: [AttackTracker.Action]) {
        guard !actions.isEmpty else { return }
        var rules = ""
        var removals: [String] = []
        for action in actions {
            switch action {
            case .install(let id, let fingerprint, let timeout):
                rules += MitigationRuleset.install(id, fingerprint, timeout: timeout)
                logger.notice("ddos: mitigating", metadata: ["attack": "\(id)", "rule": "\(fingerprint.nft)"])
            case .refresh(let id, let target, let timeout):
                rules += MitigationRuleset.refresh(id, target: target, timeout: timeout)
            case .remove(let id):
                removals.append(id)
            case .report:
                break
            }
        }
        let needsListing = !removals.isEmpty || actions.contains { if case .report = $0 { true } else { false } }
        let listed = needsListing ? mitigationRules() : [:]
        for id in removals { rules += MitigationRuleset.remove(id, handle: listed[id]?.handle) }
        if !rules.isEmpty {
            do { try nft.load(rules) } catch { logger.error("ddos: mitigation rule change failed", metadata: ["error": "\(error)"]) }
        }
        let counted = state.withLock { state -> [Attack] in
            for (id, rule) in listed { state.tracker.dropped(id, packets: rule.packets) }
            return actions.compactMap { action -> Attack? in
                guard case .report(var attack) = action else { return nil }
                if let rule = listed[attack.id] { attack.packetsDropped = max(attack.packetsDropped, rule.packets) }
                return attack
            }
        }
        for attack in counted { reports.yield(attack) }
    }

    /// Each mitigation rule's handle and drop counter, by attack id.
    func mitigationRules() -> [String: (handle: Int, packets: UInt64)] {
        guard let data = try? nft.listTableJSON(MitigationRuleset.table),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let entries = object["nftables"] as? [[String: Any]] else { return [:] }
        var rules: [String: (Int, UInt64)] = [:]
        for entry in entries {
            guard let rule = entry["rule"] as? [String: Any], let comment = rule["comment"] as? String, comment.hasPrefix("attack:"),
                  let handle = rule["handle"] as? Int else { continue }
            var packets: UInt64 = 0
            for expression in rule["expr"] as? [[String: Any]] ?? [] {
                if let counter = expression["counter"] as? [String: Any], let count = counter["packets"] as? Int { packets = UInt64(count) }
            }
            rules[String(comment.dropFirst("attack:".count))] = (handle, packets)
        }
        return rules
    }

    static func newID() -> String {
        "atk_" + String(format: "%016llx", UInt64.random(in: 0...UInt64.max))
    }

    package func metricsText() -> String {
        let (recorded, overflow, unprotected, unparsed, tracked, attacks) = state.withLock { state in
            (state.detector.recorded, state.detector.overflow, state.detector.unprotected, state.unparsed, state.detector.trackedCount,
             state.tracker.active.filter { $0.status == .active }.count)
        }
        let nflog = reader.withLock { $0?.statistics }
        var lines = [
            "# HELP moat_ddos_samples_total Sampled packets by fate (recorded, table_full, unprotected, unparsed).",
            "# TYPE moat_ddos_samples_total counter",
            "moat_ddos_samples_total{fate=\"recorded\"} \(recorded)",
            "moat_ddos_samples_total{fate=\"table_full\"} \(overflow)",
            "moat_ddos_samples_total{fate=\"unprotected\"} \(unprotected)",
            "moat_ddos_samples_total{fate=\"unparsed\"} \(unparsed)",
            "# HELP moat_ddos_destinations Destinations the detector tracks.",
            "# TYPE moat_ddos_destinations gauge",
            "moat_ddos_destinations \(tracked)",
            "# HELP moat_ddos_attacks_active Attacks under way.",
            "# TYPE moat_ddos_attacks_active gauge",
            "moat_ddos_attacks_active \(attacks)",
        ]
        if let nflog {
            lines += [
                "# HELP moat_ddos_nflog_lost_total Samples the kernel dropped before the edge read them.",
                "# TYPE moat_ddos_nflog_lost_total counter",
                "moat_ddos_nflog_lost_total \(nflog.lostPackets)",
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A data-plane part that reports attacks as they start, change and end.
package protocol AttackEventSource: Sendable {
    var attackReports: AsyncStream<Attack> { get }
}
