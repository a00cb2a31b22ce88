import MoatModel

/// Decides, from sampled packets, which destinations are under attack: per destination a
/// one-second packet and bit rate (samples × the sampling rate), a slow baseline of its normal
/// rate, and its threshold. An attack starts when the rate reaches the threshold and
/// `baselineFactor` × the baseline; it ends when the rate has stayed under half of that for
/// `quietPeriod`.
///
/// Pure: time comes in as seconds on a monotonic clock. Memory is bounded whatever arrives: at
/// most `maxTargets` destinations (samples for more are counted and dropped until idle ones
/// are swept) and `sampleMemory` samples each.
package struct Detector: Sendable {
    package struct Options: Sendable {
        /// One sample stands for this many packets.
        package var sampleRate: Int = 100
        package var maxTargets = 2_048
        package var sampleMemory = 256
        /// Samples a window needs before it can start an attack (one lucky sample is not a flood).
        package var minimumSamples = 5
        package var baselineFactor = 3.0
        /// Seconds of the baseline's memory (exponential average).
        package var baselineSeconds = 60.0
        package var quietPeriod = 3.0
        /// A destination not seen for this long is forgotten (never while attacked).
        package var idleSeconds = 30.0
        /// The fingerprint waits for this many samples taken since the detection, or for
        /// `fingerprintWait` seconds: the window that crossed the threshold still holds the
        /// normal traffic from before the attack.
        package var fingerprintSamples = 48
        package var fingerprintWait = 0.5

        package init() {}
    }

    package struct Rates: Equatable, Sendable {
        package var packetsPerSecond: Double
        package var bitsPerSecond: Double

        package init(packetsPerSecond: Double, bitsPerSecond: Double) {
            self.packetsPerSecond = packetsPerSecond
            self.bitsPerSecond = bitsPerSecond
        }
    }

    package enum Event: Equatable, Sendable {
        case started(IPAddress, ProtectedTargets.Target, Rates)
        case ended(IPAddress)
    }

    struct TargetState: Sendable {
        var target: ProtectedTargets.Target
        var window: RateWindow
        var baseline = Rates(packetsPerSecond: 0, bitsPerSecond: 0)
        var lastSeen: Double
        var lastTick: Double
        /// Set while attacked: since when, the limits it was judged by, when it last went quiet.
        var attack: (since: Double, limit: Rates, quietSince: Double?)?
        /// The newest samples, and the newest taken while not attacked (the normal traffic).
        var recent: SampleRing
        var normal: SampleRing
    }

    package var options: Options
    private(set) var targets: ProtectedTargets
    private var table: [IPAddress: TargetState] = [:]
    /// Samples dropped because the table was full.
    package private(set) var overflow = 0
    /// Samples for addresses outside every protected prefix (the sampling rule should not send them).
    package private(set) var unprotected = 0
    package private(set) var recorded = 0

    package init(options: Options = .init(), targets: ProtectedTargets = .init()) {
        self.options = options
        self.targets = targets
    }

    /// New prefixes or thresholds: known destinations are judged by their new target.
    package mutating func reconfigure(targets: ProtectedTargets, sampleRate: Int) {
        self.targets = targets
        options.sampleRate = max(1, sampleRate)
        for (address, state) in table {
            if let target = targets.target(for: address) {
                table[address]?.target = target
            } else if state.attack == nil {
                table[address] = nil
            }
        }
    }

    package mutating func record(_ sample: PacketSample, at now: Double) {
        let address = sample.destination
        if table[address] == nil {
            guard let target = targets.target(for: address) else { unprotected += 1; return }
            guard table.count < options.maxTargets else { overflow += 1; return }
            table[address] = TargetState(target: target, window: RateWindow(now: now), lastSeen: now, lastTick: now,
                                         recent: SampleRing(capacity: options.sampleMemory), normal: SampleRing(capacity: options.sampleMemory))
        }
        recorded += 1
        table[address]!.record(sample, at: now, weight: options.sampleRate)
    }

    /// Judges every destination at `now`.
    package mutating func tick(at now: Double) -> [Event] {
        var events: [Event] = []
        var forget: [IPAddress] = []
        for address in table.keys {
            var state = table[address]!
            state.window.advance(to: now)
            let rates = Rates(packetsPerSecond: state.window.packetsPerSecond, bitsPerSecond: state.window.bitsPerSecond)
            let elapsed = max(0, now - state.lastTick)
            state.lastTick = now
            if let attack = state.attack {
                let quiet = rates.packetsPerSecond < attack.limit.packetsPerSecond / 2 && rates.bitsPerSecond < attack.limit.bitsPerSecond / 2
                if !quiet {
                    state.attack?.quietSince = nil
                } else if let since = attack.quietSince {
                    if now - since >= options.quietPeriod {
                        state.attack = nil
                        events.append(.ended(address))
                    }
                } else {
                    state.attack?.quietSince = now
                }
            } else {
                let limit = limits(for: state)
                if state.window.sampleCount >= options.minimumSamples
                    && (rates.packetsPerSecond >= limit.packetsPerSecond || rates.bitsPerSecond >= limit.bitsPerSecond) {
                    state.attack = (now, limit, nil)
                    events.append(.started(address, state.target, rates))
                } else {
                    // Only normal traffic teaches the baseline.
                    let weight = min(1, elapsed / options.baselineSeconds)
                    state.baseline.packetsPerSecond += (rates.packetsPerSecond - state.baseline.packetsPerSecond) * weight
                    state.baseline.bitsPerSecond += (rates.bitsPerSecond - state.baseline.bitsPerSecond) * weight
                    if now - state.lastSeen > options.idleSeconds { forget.append(address) }
                }
            }
            table[address] = state
        }
        for address in forget { table[address] = nil }
        return events
    }

    /// The rate at which a destination counts as attacked: its threshold, or a multiple of its
    /// baseline when that is higher. A threshold left unset never triggers.
    func limits(for state: TargetState) -> Rates {
        let threshold = state.target.threshold
        return Rates(packetsPerSecond: max(threshold.packetsPerSecond.map(Double.init) ?? .infinity, state.baseline.packetsPerSecond * options.baselineFactor),
                     bitsPerSecond: max(threshold.bitsPerSecond.map(Double.init) ?? .infinity, state.baseline.bitsPerSecond * options.baselineFactor))
    }

    package func rates(of address: IPAddress) -> Rates? {
        guard let state = table[address] else { return nil }
        return Rates(packetsPerSecond: state.window.packetsPerSecond, bitsPerSecond: state.window.bitsPerSecond)
    }

    package func isAttacked(_ address: IPAddress) -> Bool { table[address]?.attack != nil }

    /// Samples for an attacked destination's fingerprint, once there are enough: the attack's
    /// own, taken since it was detected (`fingerprintSamples` of them, or what came within
    /// `fingerprintWait`, or for a slow attack the last window), and the destination's normal
    /// traffic (older than `baselineGap` before the attack began). Nil until then, and for a
    /// destination not under attack.
    package func fingerprintSamples(of address: IPAddress, at now: Double, baselineGap: Double = 2)
        -> (attack: [PacketSample], baseline: [PacketSample])? {
        guard let state = table[address], let attack = state.attack else { return nil }
        let since = state.recent.samples { $0 >= attack.since }
        let baseline = state.normal.samples { $0 < attack.since - baselineGap }
        if since.count >= options.fingerprintSamples { return (since, baseline) }
        guard now - attack.since >= options.fingerprintWait else { return nil }
        return (since.count >= options.minimumSamples ? since : state.recent.samples { $0 > now - RateWindow.seconds }, baseline)
    }

    package var trackedCount: Int { table.count }
}

extension Detector.TargetState {
    mutating func record(_ sample: PacketSample, at now: Double, weight: Int) {
        window.add(length: Int(sample.length), weight: weight, at: now)
        lastSeen = now
        recent.append(sample, at: now)
        if attack == nil { normal.append(sample, at: now) }
    }
}
