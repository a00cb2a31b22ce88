import DDoS
import MoatModel
import Testing

@Suite struct DetectorTests {
    /// Feeds `perSecond` samples a second from `make` between `from` and `to`, ticking every 100 ms;
    /// returns the events with their times.
    static func run(_ detector: inout Detector, from: Double, to: Double, perSecond: Int, random: inout Samples.Random,
                    _ make: (inout Samples.Random) -> PacketSample) -> [(Double, Detector.Event)] {
        var events: [(Double, Detector.Event)] = []
        var time = from
        let step = 1.0 / Double(perSecond)
        var nextTick = (from * 10).rounded(.up) / 10
        while time < to {
            detector.record(make(&random), at: time)
            time += step
            while nextTick <= time {
                events += detector.tick(at: nextTick).map { (nextTick, $0) }
                nextTick += 0.1
            }
        }
        return events
    }

    @Test func floodStartsAnAttackWithinASecondAndEndsAfterTheQuietPeriod() {
        var random = Samples.Random(state: 1)
        var options = Detector.Options()
        options.sampleRate = 64
        var detector = Detector(options: options, targets: Samples.prefixes())
        // 20 s of normal traffic: 640 packets/s (10 samples/s), under the 2,000 packets/s threshold.
        var events = Self.run(&detector, from: 0, to: 20, perSecond: 10, random: &random, Samples.normal)
        #expect(events.isEmpty)
        // A 50,000 packets/s SYN flood (781 samples/s) for 5 s.
        events = Self.run(&detector, from: 20, to: 25, perSecond: 781, random: &random, Samples.synFlood)
        guard case .started(let target, let protected, let rates)? = events.first?.1 else {
            Issue.record("no attack: \(events)")
            return
        }
        #expect(target == Samples.victim && protected.accountID == "acme")
        #expect(events[0].0 - 20 < 1, "detected after \(events[0].0 - 20) s")
        #expect(rates.packetsPerSecond >= 2_000)
        #expect(detector.isAttacked(Samples.victim))
        #expect(events.count == 1)
        // Back to normal: the attack ends after the window empties and the quiet period.
        events = Self.run(&detector, from: 25, to: 32, perSecond: 10, random: &random, Samples.normal)
        #expect(events.count == 1)
        if case .ended(let ended)? = events.first?.1 {
            #expect(ended == Samples.victim)
            #expect(events[0].0 - 25 >= 3 && events[0].0 - 25 < 5)
        } else {
            Issue.record("attack did not end: \(events)")
        }
    }

    /// The window that crosses the threshold still holds the normal traffic from before the
    /// flood; the fingerprint waits for samples taken since the detection, and so names the flood.
    @Test func theFingerprintComesFromSamplesTakenSinceTheDetection() throws {
        var random = Samples.Random(state: 7)
        var options = Detector.Options()
        options.sampleRate = 32
        var detector = Detector(options: options, targets: Samples.prefixes())
        // 640 packets/s of normal traffic (20 samples/s) with nothing before it to learn from,
        // then a 12,800 packets/s ICMP flood (400 samples/s) beside it.
        #expect(Self.run(&detector, from: 0, to: 1, perSecond: 20, random: &random, Samples.normal).isEmpty)
        var time = 1.0
        var nextTick = 1.1
        var fingerprint: AttackFingerprint?
        var detectedAt: Double?
        while time < 3, fingerprint == nil {
            detector.record(random.below(400 + 20) < 20 ? Samples.normal(&random) : Samples.icmpFlood(&random), at: time)
            time += 1.0 / 420
            guard nextTick <= time else { continue }
            if case .started? = detector.tick(at: nextTick).first { detectedAt = nextTick }
            if detectedAt != nil {
                // Not before there are samples of the attack's own.
                if let (attack, baseline) = detector.fingerprintSamples(of: Samples.victim, at: nextTick) {
                    #expect(attack.count >= options.fingerprintSamples || nextTick - detectedAt! >= options.fingerprintWait)
                    fingerprint = Fingerprinter.fingerprint(target: Samples.victim, attack: attack, baseline: baseline)
                }
            } else {
                #expect(detector.fingerprintSamples(of: Samples.victim, at: nextTick) == nil)
            }
            nextTick += 0.1
        }
        let found = try #require(fingerprint)
        #expect(found.protocolNumber == 1 && found.icmpType == 8, "\(found.nftMatch)")
        #expect(time - 1 < 1, "the fingerprint took \(time - 1) s")
    }

    @Test func normalTrafficAboveTheThresholdIsJudgedByItsBaseline() {
        var random = Samples.Random(state: 2)
        var options = Detector.Options()
        options.sampleRate = 100
        options.baselineSeconds = 10
        // 300 packets/s threshold; the host normally gets 1,000 packets/s.
        var detector = Detector(options: options, targets: Samples.prefixes(threshold: .init(packetsPerSecond: 300, bitsPerSecond: nil)))
        // The first second starts an attack (no baseline yet)…
        _ = Self.run(&detector, from: 0, to: 0.5, perSecond: 2, random: &random, Samples.normal)
        // …whereas a slow rise teaches the baseline before the threshold is reached.
        var slow = Detector(options: options, targets: Samples.prefixes(threshold: .init(packetsPerSecond: 300, bitsPerSecond: nil)))
        var events = Self.run(&slow, from: 0, to: 30, perSecond: 2, random: &random, Samples.normal)  // 200 packets/s
        events += Self.run(&slow, from: 30, to: 60, perSecond: 4, random: &random, Samples.normal)     // 400 packets/s: under 3× baseline
        #expect(events.isEmpty, "\(events)")
        // A tenfold jump is an attack.
        events = Self.run(&slow, from: 60, to: 62, perSecond: 40, random: &random, Samples.ntpFlood)
        #expect(events.contains { if case .started = $0.1 { return true } else { return false } })
    }

    @Test func tableIsBoundedWhateverArrives() {
        var random = Samples.Random(state: 3)
        var options = Detector.Options()
        options.maxTargets = 100
        options.sampleMemory = 8
        var detector = Detector(options: options, targets: Samples.prefixes())
        // Carpet bombing across the /24 and beyond: 256 destinations inside, others outside.
        for index in 0..<10_000 {
            let inside = IPAddress.v4(0xCB00_7100 | UInt32(index % 256))
            var sample = Samples.randomUDP(&random)
            sample.destination = index % 5 == 0 ? .v4(0x0A00_0000 | UInt32(index)) : inside
            detector.record(sample, at: Double(index) / 1_000)
        }
        #expect(detector.trackedCount == 100)
        #expect(detector.overflow > 0 && detector.unprotected == 2_000)
        // Idle destinations are forgotten, making room again.
        _ = detector.tick(at: 100)
        #expect(detector.trackedCount == 0)
    }

    @Test func attackNeedsSeveralSamples() {
        var options = Detector.Options()
        options.sampleRate = 10_000
        var detector = Detector(options: options, targets: Samples.prefixes())
        var random = Samples.Random(state: 4)
        // One sample stands for 10,000 packets/s, but one is not a flood.
        detector.record(Samples.synFlood(&random), at: 0.05)
        #expect(detector.tick(at: 0.1).isEmpty)
    }
}
