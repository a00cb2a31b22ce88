import MoatModel
import Testing
@testable import BGP

/// RFC 7606: which malformed UPDATEs reset the session, which are treated as withdraws, and
/// which only lose an attribute. Each case names the section it follows.
@Suite struct UpdateErrorHandlingTests {
    static let origin = "40 01 01 00"
    static let asPath = "40 02 06 02 01 0000fde9"
    static let nextHop = "40 03 04 c0000201"
    static let nlri = "18 c63364" // 198.51.100.0/24

    /// Decodes an UPDATE body; a thrown error comes back as the result.
    func decode(_ body: [UInt8], _ options: BGPCodecOptions = .fourOctetIPv4) -> Result<UpdateMessage, BGPDecodeError> {
        do {
            guard case .update(let update) = try BGPMessageDecoder(options: options).decode(message(.update, body)) else {
                fatalError("not an UPDATE")
            }
            return .success(update)
        } catch {
            return .failure(error)
        }
    }

    /// An UPDATE body with these attributes and NLRI.
    func body(_ attributes: String, nlri: String = nlri) -> [UInt8] {
        let bytes = hex(attributes)
        return [0, 0, UInt8(bytes.count >> 8), UInt8(bytes.count & 0xff)] + bytes + hex(nlri)
    }

    func errors(_ attributes: String, _ options: BGPCodecOptions = .fourOctetIPv4) -> [BGPDecodeError] {
        (try? decode(body(attributes), options).get())?.errors ?? []
    }

    func reset(_ attributes: String, _ options: BGPCodecOptions = .fourOctetIPv4) -> BGPDecodeError? {
        if case .failure(let error) = decode(body(attributes), options) { return error }
        return nil
    }

    @Test func aCleanUpdateAnnouncesItsRoutes() throws {
        let update = try decode(body("\(Self.origin) \(Self.asPath) \(Self.nextHop)")).get()
        #expect(update.errors.isEmpty)
        #expect(update.announced == [CIDR("198.51.100.0/24")!])
        #expect(update.allWithdrawn.isEmpty)
    }

    @Test func malformedOriginIsTreatAsWithdraw() throws {
        // RFC 7606 §7.1: wrong length or undefined value.
        let undefined = errors("40 01 01 03 \(Self.asPath) \(Self.nextHop)")
        #expect(undefined.map(\.code) == [.invalidOrigin])
        #expect(undefined.map(\.action) == [.treatAsWithdraw])
        #expect(undefined.first?.data == hex("40 01 01 03")) // RFC 4271 §6.3: the whole attribute
        #expect(errors("40 01 02 0000 \(Self.asPath) \(Self.nextHop)").map(\.code) == [.attributeLengthError])
        let update = try decode(body("40 01 01 03 \(Self.asPath) \(Self.nextHop)")).get()
        #expect(update.isTreatAsWithdraw)
        #expect(update.announced.isEmpty)
        #expect(update.allWithdrawn == [CIDR("198.51.100.0/24")!])
    }

    @Test func malformedASPathIsTreatAsWithdraw() {
        // RFC 7606 §7.2: unknown segment type, zero-length segment, overrun.
        for path in ["40 02 06 05 01 0000fde9", "40 02 02 02 00", "40 02 06 02 02 0000fde9"] {
            let found = errors("\(Self.origin) \(path) \(Self.nextHop)")
            #expect(found.map(\.code) == [.malformedASPath], "\(path)")
            #expect(found.map(\.action) == [.treatAsWithdraw], "\(path)")
        }
    }

    @Test func nextHopErrors() {
        // RFC 7606 §7.3 (length); RFC 4271 §6.3 (a next hop that is no host: the route is ignored).
        #expect(errors("\(Self.origin) \(Self.asPath) 40 03 03 c00002").map(\.code) == [.attributeLengthError])
        #expect(errors("\(Self.origin) \(Self.asPath) 40 03 04 00000000").map(\.code) == [.invalidNextHop])
        #expect(errors("\(Self.origin) \(Self.asPath) 40 03 04 e0000001").map(\.action) == [.treatAsWithdraw])
    }

    @Test func wrongLengthsOfFixedSizeAttributes() {
        let base = "\(Self.origin) \(Self.asPath) \(Self.nextHop)"
        // RFC 7606 §7.4, §7.8, RFC 8092 §6: treat-as-withdraw.
        #expect(errors("\(base) 80 04 03 000064").map(\.action) == [.treatAsWithdraw])
        #expect(errors("\(base) c0 08 06 fde900640000").map(\.action) == [.treatAsWithdraw])
        #expect(errors("\(base) c0 08 00").map(\.action) == [.treatAsWithdraw])
        #expect(errors("\(base) c0 20 08 0000000100000002").map(\.action) == [.treatAsWithdraw])
        // RFC 7606 §7.6, §7.7, RFC 6793 §6: attribute discard; the route stays.
        #expect(errors("\(base) 40 06 01 00").map(\.action) == [.attributeDiscard])
        #expect(errors("\(base) c0 07 06 fde9 c0000201").map(\.action) == [.attributeDiscard]) // 2-octet on a 4-octet session
        let twoOctetBase = "\(Self.origin) 40 02 04 02 01 fde9 \(Self.nextHop)"
        #expect(errors("\(twoOctetBase) c0 11 03 020100", .twoOctetIPv4).map(\.action) == [.attributeDiscard])
        #expect(errors("\(twoOctetBase) c0 12 06 fde9c0000201", .twoOctetIPv4).map(\.action) == [.attributeDiscard])
        let update = try? decode(body("\(base) 40 06 01 00")).get()
        #expect(update?.announced == [CIDR("198.51.100.0/24")!])
        #expect(update?.attributes.count == 3)
    }

    @Test func conflictingFlagsAreTreatAsWithdraw() {
        // RFC 7606 §3 (c): ORIGIN marked optional.
        let found = errors("c0 01 01 00 \(Self.asPath) \(Self.nextHop)")
        #expect(found.map(\.code) == [.attributeFlagsError])
        #expect(found.map(\.action) == [.treatAsWithdraw])
    }

    @Test func missingWellKnownAttributesAreTreatAsWithdraw() {
        // RFC 7606 §3 (d); the data is the missing type code.
        let found = errors(Self.origin)
        #expect(found.map(\.code) == [.missingWellKnownAttribute, .missingWellKnownAttribute])
        #expect(found.map(\.data) == [[2], [3]])
        // A withdraw-only UPDATE needs no attributes.
        #expect((try? decode([0, 4] + hex(Self.nlri) + [0, 0], .fourOctetIPv4).get())?.withdrawn == [CIDR("198.51.100.0/24")!])
    }

    @Test func repeatedAttributes() {
        // RFC 7606 §3 (g): a repeated attribute is dropped after the first...
        let update = try? decode(body("\(Self.origin) 40 01 01 02 \(Self.asPath) \(Self.nextHop)")).get()
        #expect(update?.origin == .igp)
        #expect(update?.errors.map(\.action) == [.attributeDiscard])
        // ...but a repeated MP_REACH_NLRI resets the session.
        let options = BGPCodecOptions.fourOctetDualStack
        let reach = "80 0e 15 0002 01 10 20010db8000000000000000000000001 00"
        #expect(reset("\(reach) \(reach)", options)?.code == .malformedAttributeList)
    }

    @Test func unrecognizedWellKnownAttributeResetsTheSession() {
        // RFC 4271 §6.3.
        let error = reset("\(Self.origin) 40 63 01 00 \(Self.asPath) \(Self.nextHop)")
        #expect(error?.code == .unrecognizedWellKnownAttribute)
        #expect(error?.data == hex("40 63 01 00"))
        #expect(error?.action == .sessionReset)
    }

    @Test func mpReachNextHopOfTheWrongLengthResetsTheSession() {
        // RFC 7606 §7.11: the NLRI cannot be located.
        let error = reset("80 0e 0b 0002 01 03 000000 00 10 2001", .fourOctetDualStack)
        #expect(error?.code == .optionalAttributeError)
    }

    @Test func mpReachOfAFamilyNotNegotiatedIsDiscarded() throws {
        let update = try decode(body("\(Self.origin) \(Self.asPath) 80 0e 1a 0002 01 10 20010db8000000000000000000000001 00 20 20010db8",
                                     nlri: ""), .fourOctetIPv4).get()
        #expect(update.mpReach == nil)
        #expect(update.errors.map(\.action) == [.attributeDiscard])
    }

    @Test func overrunningLengthsResetTheSession() {
        // RFC 7606 §4: the withdrawn routes or total attribute length overrun the message.
        #expect(reset("") == nil)
        if case .failure(let error) = decode([0, 9, 0, 0]) { #expect(error.code == .malformedAttributeList) } else { Issue.record() }
        if case .failure(let error) = decode([0, 0, 0, 9]) { #expect(error.code == .malformedAttributeList) } else { Issue.record() }
        // RFC 4271 §6.3 / RFC 7606 §5.3: NLRI that does not parse.
        if case .failure(let error) = decode(body("\(Self.origin) \(Self.asPath) \(Self.nextHop)", nlri: "21 0a000000")) {
            #expect(error.code == .invalidNetworkField)
        } else { Issue.record() }
    }

    @Test func anAttributeOverrunningTheListIsTreatAsWithdrawWhenNoOtherFamilyCanHide() {
        // RFC 7606 §4. On a dual-stack session the unread part could hold MP_REACH_NLRI.
        let overrun = "\(Self.origin) \(Self.nextHop) 40 02 17 02 03 fde8 fde8 fde8"
        #expect(errors(overrun, .twoOctetIPv4).map(\.action).contains(.treatAsWithdraw))
        #expect(reset(overrun, .fourOctetDualStack)?.code == .malformedAttributeList)
    }

    /// The inputs of GoBGP's Test_MalformedUpdateMsg (osrg/gobgp pkg/packet/bgp/bgp_test.go),
    /// with the handling GoBGP's test expects beside ours.
    @Test func goBGPMalformedUpdateInputs() {
        func handling(_ body: String, _ options: BGPCodecOptions) -> BGPDecodeError.Action? {
            switch decode(hex(body), options) {
            case .failure(let error): return error.action
            case .success(let update): return update.errors.map(\.action).max()
            }
        }
        // AS_PATH length overruns the attributes. GoBGP: treat-as-withdraw.
        #expect(handling("0000 0016 40010100 400304c0a80164 400217 0203fde8fde8fde8 080a", .twoOctetIPv4) == .treatAsWithdraw)
        // AGGREGATOR of 5 bytes. GoBGP: attribute discard.
        #expect(handling("0000 0016 c00705 0000006400 40010100 400304c0a80164 400200", .twoOctetIPv4) == .attributeDiscard)
        // MP_REACH_NLRI with a 15-byte next hop. GoBGP: AFI/SAFI disable; RFC 7606 §7.11 allows
        // that or a session reset, and Moat, which has no AFI/SAFI disable, resets.
        #expect(handling("0000 0027 800e1d 000201 0f000000 00000000 000000ff ff0a0000 00 40 20010db8 00010000 40010100 400200",
                         .fourOctetDualStack) == .sessionReset)
        // ORIGIN with the optional bit. GoBGP: treat-as-withdraw.
        #expect(handling("0000 000e c0010100 400304c0a80164 400200", .twoOctetIPv4) == .treatAsWithdraw)
        // AGGREGATOR and MED both of 5 bytes: the strongest applies. GoBGP: treat-as-withdraw.
        #expect(handling("0000 001e c0070500 00006400 80040500 00000064 40010100 400200 400304c0a80164 20c8c8c8c8",
                         .twoOctetIPv4) == .treatAsWithdraw)
    }
}
