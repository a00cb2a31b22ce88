import Foundation
import MoatCore
import MoatModel
import Testing

/// Route origin validation against ROAs (RFC 6811) and IRR route objects, without a store.
@Suite struct OriginValidationTests {
    static func cidr(_ text: String) -> CIDR { CIDR(text)! }
    static func roa(_ prefix: String, _ maxLength: Int, _ asn: UInt32) -> ROA { ROA(prefix: cidr(prefix), maxLength: maxLength, asn: asn) }

    @Test func aCoveringROAForTheOriginMakesTheRouteValid() {
        let roas = ROASet([Self.roa("203.0.113.0/24", 24, 64500)])
        #expect(roas.validate(Self.cidr("203.0.113.0/24"), origins: [64500]) == .valid("RPKI valid: ROA 203.0.113.0/24 max /24 authorises AS64500"))
        // A shorter ROA whose max length reaches the route covers and matches it.
        let wide = ROASet([Self.roa("203.0.112.0/22", 24, 64500)])
        #expect(wide.validate(Self.cidr("203.0.113.0/24"), origins: [64500]) == .valid("RPKI valid: ROA 203.0.112.0/22 max /24 authorises AS64500"))
    }

    @Test func anotherASIsInvalidAndTheReasonNamesTheROA() {
        let roas = ROASet([Self.roa("203.0.113.0/24", 24, 64500)])
        #expect(roas.validate(Self.cidr("203.0.113.0/24"), origins: [64501])
            == .invalid("RPKI invalid: ROA 203.0.113.0/24 max /24 authorises AS64500, not AS64501"))
    }

    @Test func aRouteLongerThanTheMaxLengthIsInvalid() {
        let roas = ROASet([Self.roa("203.0.112.0/23", 24, 64500)])
        #expect(roas.validate(Self.cidr("203.0.113.0/25"), origins: [64500])
            == .invalid("RPKI invalid: ROA 203.0.112.0/23 max /24 authorises AS64500, but /25 is longer than the ROA's max length /24"))
        #expect(roas.validate(Self.cidr("203.0.113.0/24"), origins: [64500]).isInvalid == false)
    }

    @Test func aRouteNoROACoversIsNotFound() {
        // A more specific ROA does not cover a shorter route, nor does another family's.
        let roas = ROASet([Self.roa("203.0.113.0/25", 25, 64500), Self.roa("198.51.100.0/24", 24, 64500), Self.roa("0.0.0.0/0", 32, 64500)])
        #expect(roas.validate(Self.cidr("2001:db8::/32"), origins: [64500]) == .notFound("RPKI not found: no ROA covers 2001:db8::/32"))
        let specific = ROASet([Self.roa("203.0.113.0/25", 25, 64500)])
        #expect(specific.validate(Self.cidr("203.0.112.0/23"), origins: [64501]) == .notFound("RPKI not found: no ROA covers 203.0.112.0/23"))
    }

    @Test func anAS0ROANeverMatches() {
        let roas = ROASet([Self.roa("203.0.113.0/24", 24, 0)])
        let verdict = roas.validate(Self.cidr("203.0.113.0/24"), origins: [64500])
        #expect(verdict == .invalid("RPKI invalid: ROA 203.0.113.0/24 max /24 AS0 says no AS may originate 203.0.113.0/24 (RFC 6483)"))
        // RFC 6483 §4: AS0 yields to any ROA that authorises the origin.
        let both = ROASet([Self.roa("203.0.113.0/24", 24, 0), Self.roa("203.0.112.0/22", 24, 64500)])
        #expect(both.validate(Self.cidr("203.0.113.0/24"), origins: [64500]).isInvalid == false)
        #expect(both.validate(Self.cidr("203.0.113.0/24"), origins: [64501])
            == .invalid("RPKI invalid: ROA 203.0.112.0/22 max /24 authorises AS64500, not AS64501"))
    }

    @Test func ipv6RoutesValidateLikeIPv4() {
        let roas = ROASet([Self.roa("2001:db8::/32", 48, 64500), Self.roa("::/0", 128, 0)])
        #expect(roas.validate(Self.cidr("2001:db8:1::/48"), origins: [64500]) == .valid("RPKI valid: ROA 2001:db8::/32 max /48 authorises AS64500"))
        #expect(roas.validate(Self.cidr("2001:db8:1::/49"), origins: [64500])
            == .invalid("RPKI invalid: ROA 2001:db8::/32 max /48 authorises AS64500, but /49 is longer than the ROA's max length /48"))
        #expect(roas.validate(Self.cidr("2001:db8:1::/48"), origins: [64501])
            == .invalid("RPKI invalid: ROA 2001:db8::/32 max /48 authorises AS64500, not AS64501"))
        #expect(roas.validate(Self.cidr("2001:db9::/32"), origins: [64500]).isInvalid, "::/0 AS0 covers every IPv6 route")
        #expect(roas.validate(Self.cidr("203.0.113.0/24"), origins: [64500]) == .notFound("RPKI not found: no ROA covers 203.0.113.0/24"))
    }

    @Test func everyOriginMustBeAuthorisedAndTheMostSpecificROAIsNamed() {
        let roas = ROASet([Self.roa("203.0.112.0/22", 24, 64502), Self.roa("203.0.113.0/24", 24, 64500)])
        #expect(roas.covering(Self.cidr("203.0.113.0/24")).map(\.asn) == [64500, 64502])
        let verdict = roas.validate(Self.cidr("203.0.113.0/24"), origins: [64500, 64501])
        #expect(verdict == .invalid("RPKI invalid: ROA 203.0.113.0/24 max /24 authorises AS64500, not AS64501 (1 more covering ROA, none for AS64501)"))
        #expect(!roas.validate(Self.cidr("203.0.113.0/24"), origins: [64500, 64502]).isInvalid)
    }

    @Test func aCoveredRouteWithNoOriginIsInvalid() {
        let roas = ROASet([Self.roa("203.0.113.0/24", 24, 64500)])
        #expect(roas.validate(Self.cidr("203.0.113.0/24"), origins: [])
            == .invalid("RPKI invalid: no origin AS is known for 203.0.113.0/24; ROA 203.0.113.0/24 max /24 authorises AS64500"))
        #expect(roas.validate(Self.cidr("198.51.100.0/24"), origins: []) == .notFound("RPKI not found: no ROA covers 198.51.100.0/24"))
    }

    @Test func irrNeedsARouteObjectForExactlyThePrefix() {
        let irr = IRRRouteSet([
            IRRRoute(prefix: Self.cidr("203.0.113.0/24"), origin: 64500, source: "RIPE"),
            IRRRoute(prefix: Self.cidr("198.51.100.0/22"), origin: 64500),
            IRRRoute(prefix: Self.cidr("2001:db8::/32"), origin: 64500, source: "ARIN"),
        ])
        #expect(irr.validate(Self.cidr("203.0.113.0/24"), origins: [64500]) == .valid("IRR valid: route 203.0.113.0/24 origin AS64500 (RIPE)"))
        #expect(irr.validate(Self.cidr("2001:db8::/32"), origins: [64500]) == .valid("IRR valid: route6 2001:db8::/32 origin AS64500 (ARIN)"))
        #expect(irr.validate(Self.cidr("203.0.113.0/24"), origins: [64501])
            == .invalid("IRR invalid: the route objects for 203.0.113.0/24 have origin AS64500, not AS64501"))
        // Covering is not enough: upstream filters list the registered prefixes.
        #expect(irr.validate(Self.cidr("198.51.100.0/24"), origins: [64500])
            == .invalid("IRR invalid: no route object for 198.51.100.0/24 itself; route 198.51.100.0/22 origin AS64500 covers it, but upstream IRR filters accept only registered prefixes"))
        #expect(irr.validate(Self.cidr("198.51.100.0/24"), origins: [64501])
            == .invalid("IRR invalid: no route object for 198.51.100.0/24 itself; covering: route 198.51.100.0/22 origin AS64500"))
        #expect(irr.validate(Self.cidr("192.0.2.0/24"), origins: [64500])
            == .invalid("IRR invalid: no route object for 192.0.2.0/24 or any prefix covering it"))
        #expect(irr.validate(Self.cidr("203.0.113.0/24"), origins: [])
            == .invalid("IRR invalid: no origin AS is known for 203.0.113.0/24; route 203.0.113.0/24 origin AS64500 (RIPE) registered"))
    }

    @Test func theCheckAcceptsNotFoundAndRefusesInvalidWithEveryReason() throws {
        let roas = ROASet([Self.roa("203.0.113.0/24", 24, 64500)])
        let irr = IRRRouteSet([IRRRoute(prefix: Self.cidr("203.0.113.0/24"), origin: 64500)])
        let check = OriginCheck(defaultOrigins: [])
        #expect(check.assess(Self.cidr("198.51.100.0/24"), origins: [64500], data: OriginData(roas: roas)).isAccepted)
        #expect(!check.assess(Self.cidr("198.51.100.0/24"), origins: [64500], data: OriginData(roas: roas, irr: irr)).isAccepted)
        #expect(check.assess(Self.cidr("203.0.113.0/24"), origins: [64500], data: OriginData(roas: roas, irr: irr)).isAccepted)
        #expect(check.assess(Self.cidr("203.0.113.0/24"), origins: [64501], data: OriginData()).isAccepted, "no data, no check")

        let date = Date(timeIntervalSince1970: 0)
        let wrong = Prefix(accountID: "acc_1", spec: PrefixSpec(cidr: Self.cidr("203.0.113.0/24"), originASN: 64501), at: date)
        do {
            try check.verify(wrong, data: OriginData(roas: roas, irr: irr))
            Issue.record("AS64501 passed")
        } catch {
            #expect(error.status == .unprocessableContent)
            #expect(error.code == "origin_invalid")
            #expect(error.field == "origin_asn")
            #expect(error.message == "203.0.113.0/24 from AS64501 fails the operator's origin checks: "
                + "RPKI invalid: ROA 203.0.113.0/24 max /24 authorises AS64500, not AS64501; "
                + "IRR invalid: the route objects for 203.0.113.0/24 have origin AS64500, not AS64501")
        }
        let unknown = Prefix(accountID: "acc_1", spec: PrefixSpec(cidr: Self.cidr("203.0.113.0/24")), at: date)
        #expect(throws: APIError.self) { try check.verify(unknown, data: OriginData(roas: roas)) }
        do {
            try check.verify(unknown, data: OriginData(roas: roas))
        } catch {
            #expect(error.message.hasSuffix("set origin_asn to the AS that announces it"), "\(error.message)")
        }
        // The default origins stand in for a missing origin_asn.
        try OriginCheck(defaultOrigins: [64500]).verify(unknown, data: OriginData(roas: roas, irr: irr))
    }

    /// A full RPKI dump is about 550,000 ROAs: lookups probe hash buckets per prefix length, so
    /// they cost microseconds, not a scan. 20,000 lookups by linear scan would take minutes.
    @Test func aFullDumpSizedSetAnswersQuickly() {
        var generator = SplitMix(seed: 42)
        var roas: [ROA] = []
        roas.reserveCapacity(500_000)
        for _ in 0..<450_000 {
            let length = Int(generator.next() % 17) + 8
            let address = IPAddress.v4(UInt32(truncatingIfNeeded: generator.next()))
            roas.append(ROA(prefix: CIDR(host: address).supernet(length: length), maxLength: 24, asn: UInt32(generator.next() % 400_000) + 1))
        }
        for _ in 0..<50_000 {
            let length = Int(generator.next() % 17) + 32
            let address = IPAddress.v6(UInt128(0x2000) << 112 | UInt128(generator.next()) << 64)
            roas.append(ROA(prefix: CIDR(host: address).supernet(length: length), maxLength: 48, asn: UInt32(generator.next() % 400_000) + 1))
        }
        let started = ContinuousClock.now
        let set = ROASet(roas)
        let built = ContinuousClock.now - started
        #expect(set.count > 400_000)

        let probes = (0..<20_000).map { roas[Int($0 * 25)] }
        let lookups = ContinuousClock.now
        var valid = 0
        for roa in probes {
            // The ROA's own prefix, or its lower half when the max length allows it.
            let route = roa.prefix.length < roa.maxLength ? CIDR(host: roa.prefix.address).supernet(length: roa.prefix.length + 1) : roa.prefix
            if case .valid = set.validate(route, origins: [roa.asn]) { valid += 1 }
        }
        let elapsed = ContinuousClock.now - lookups
        print("ROASet: built \(set.count) ROAs in \(built), 20,000 lookups in \(elapsed)")
        #expect(valid == probes.count)
        #expect(elapsed < .seconds(10), "20,000 lookups took \(elapsed)")
    }
}

/// A seeded generator, so a failure can be replayed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
