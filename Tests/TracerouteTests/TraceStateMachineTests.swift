import MoatModel
import Testing
import Traceroute

/// The trace as events, on a clock the test moves: no sockets, no sleeps.
@Suite struct TraceStateMachineTests {
    static let ms: UInt64 = 1_000_000
    let flow = Packets.flow(.udp)

    func machine(maxTTL: Int = 15, packets: Int = 3, wait: Int = 1) -> TraceStateMachine {
        TraceStateMachine(flow: flow, options: TracerouteOptions(packetType: .udp, maxTTL: maxTTL, packetsPerTTL: packets, waitTime: wait))
    }

    func timeExceeded(_ number: UInt16, from router: UInt32, flow: TraceFlow? = nil) -> TraceReply {
        TraceReply(kind: .timeExceeded, responder: router, flow: flow ?? self.flow, number: number)
    }

    func reached(_ number: UInt16) -> TraceReply {
        TraceReply(kind: .unreachable(code: 3), responder: Packets.target, flow: flow, number: number)
    }

    static func router(_ ttl: Int) -> UInt32 { 0x0a00_0000 | UInt32(ttl) }

    static func sent(_ actions: [TraceStateMachine.Action]) -> [UInt16] {
        actions.compactMap { if case .send(let number, _) = $0 { return number } else { return nil } }
    }

    @Test func severalTTLsGoOutAtOnceUpToTheWindow() {
        var trace = machine()
        let actions = trace.start(now: 0)
        #expect(Self.sent(actions) == Array(1...16))
        #expect(actions.first == .send(number: 1, ttl: 1) && actions.last == .send(number: 16, ttl: 6))
        // Each answer opens the window for one more probe.
        #expect(trace.receive(timeExceeded(1, from: Self.router(1)), now: 2 * Self.ms) == [.send(number: 17, ttl: 6)])
        #expect(trace.tick(now: 3 * Self.ms).isEmpty)
    }

    /// One probe per event: an answer that ends the trace can stop the probes beyond it.
    @Test func sendingOneProbePerStepStopsAtTheTarget() {
        var trace = TraceStateMachine(flow: flow, options: TracerouteOptions(packetType: .udp, maxTTL: 15, packetsPerTTL: 1, waitTime: 1),
                                      sendsPerStep: 1)
        #expect(trace.start(now: 0) == [.send(number: 1, ttl: 1)])
        #expect(trace.tick(now: 1) == [.send(number: 2, ttl: 2)])
        #expect(trace.receive(timeExceeded(1, from: Self.router(1)), now: 2) == [.send(number: 3, ttl: 3)])
        #expect(trace.receive(reached(2), now: 3) == [.finished], "the target answered at TTL 2: nothing more goes out")
        #expect(trace.tick(now: 4).isEmpty)
        #expect(trace.lastTTL == 2 && trace.outcome.count == 2 && trace.probes.count == 3)
    }

    @Test func theTargetsAnswerEndsTheTraceAtItsTTL() {
        var trace = machine(maxTTL: 15, packets: 3)
        _ = trace.start(now: 0)
        var now: UInt64 = 0
        // TTLs 1-3 are routers, 4 is the target.
        for number in UInt16(1)...12 {
            now += Self.ms
            let ttl = (Int(number) - 1) / 3 + 1
            _ = trace.receive(ttl == 4 ? reached(number) : timeExceeded(number, from: Self.router(ttl)), now: now)
        }
        #expect(trace.state == .finished && trace.lastTTL == 4 && trace.reached)
        #expect(trace.outcome.count == 12, "probes beyond TTL 4 do not count")
        #expect(trace.outcome.allSatisfy { $0.answer != nil })
        // Answers to probes beyond the end, and anything after, change nothing.
        _ = trace.receive(reached(13), now: now + Self.ms)
        #expect(trace.outcome.count == 12)
    }

    @Test func aSilentRouterIsAHopOfLostProbesAndTheTraceGoesOn() {
        var trace = machine(maxTTL: 4, packets: 2)
        _ = trace.start(now: 0)
        for number: UInt16 in [1, 2] { _ = trace.receive(timeExceeded(number, from: Self.router(1)), now: Self.ms) }
        // TTL 2 (probes 3 and 4) never answers; TTL 3 and 4 do.
        for number: UInt16 in [5, 6] { _ = trace.receive(timeExceeded(number, from: Self.router(3)), now: 2 * Self.ms) }
        for number: UInt16 in [7, 8] { _ = trace.receive(reached(number), now: 3 * Self.ms) }
        #expect(trace.state == .tracing, "probes 3 and 4 are still waited for")
        #expect(trace.tick(now: 999 * Self.ms).isEmpty)
        #expect(trace.tick(now: 1000 * Self.ms) == [.finished])
        let hops = HopAggregator.hops(trace.outcome, target: Packets.target)
        #expect(hops.map(\.ttl) == [1, 2, 3, 4])
        #expect(hops[1].nodes.isEmpty && hops[1].sent == 2 && hops[1].lost == 2)
        #expect(hops[3].nodes.map(\.reached) == [true])
    }

    @Test func withoutAnAnswerItStopsAtMaxTTL() {
        var trace = machine(maxTTL: 2, packets: 1)
        #expect(Self.sent(trace.start(now: 0)) == [1, 2])
        #expect(trace.tick(now: 1000 * Self.ms) == [.finished])
        #expect(!trace.reached && trace.outcome.allSatisfy(\.lost))
    }

    /// Another job's answers, forged ones, duplicates, late ones and answers to probes never
    /// sent are all ignored.
    @Test func answersThatAreNotThisTracesAreIgnored() {
        var trace = machine(maxTTL: 2, packets: 1)
        _ = trace.start(now: 0)
        var otherJob = flow
        otherJob.identifier &+= 1
        var otherTarget = flow
        otherTarget.destination = otherTarget.destination.advanced(by: 1)
        var otherProtocol = flow
        otherProtocol.packetType = .icmp
        let strays = [
            timeExceeded(1, from: Self.router(1), flow: otherJob),
            timeExceeded(1, from: Self.router(1), flow: otherTarget),
            timeExceeded(1, from: Self.router(1), flow: otherProtocol),
            timeExceeded(99, from: Self.router(1)),
        ]
        for stray in strays { #expect(trace.receive(stray, now: Self.ms).isEmpty) }
        #expect(trace.ignored == 4 && trace.outcome.allSatisfy { $0.answer == nil })

        _ = trace.receive(timeExceeded(1, from: Self.router(1)), now: 2 * Self.ms)
        _ = trace.receive(timeExceeded(1, from: Self.router(7)), now: 3 * Self.ms)
        #expect(trace.ignored == 5, "a second answer to probe 1 is ignored")
        _ = trace.tick(now: 1000 * Self.ms)
        _ = trace.receive(reached(2), now: 1001 * Self.ms)
        #expect(trace.ignored == 6, "an answer after the wait is ignored")
        #expect(trace.outcome.map { $0.answer?.responder } == [.v4(Self.router(1)), nil])
    }

    @Test func stoppingAtTheDeadlineLosesWhatIsOpen() {
        var trace = machine(maxTTL: 3, packets: 1)
        _ = trace.start(now: 0)
        _ = trace.receive(timeExceeded(1, from: Self.router(1)), now: Self.ms)
        trace.stop()
        #expect(trace.state == .finished && trace.outcome.filter(\.lost).count == 2)
    }
}
