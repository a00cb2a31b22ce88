import MoatModel
import NetLab
import Testing
@testable import BGP

/// The decoder faces the network: any bytes at all must come back as a message or a
/// `BGPDecodeError`, never a crash. 100,000 seeded mutations of valid messages; a failure
/// names the seed and the input, to be kept as a unit test.
@Suite struct DecoderFuzzTests {
    static let optionSets: [BGPCodecOptions] = [.fourOctetDualStack, .twoOctetIPv4, .fourOctetIPv4,
                                                BGPCodecOptions(fourOctetAS: false, families: [.ipv4Unicast, .ipv6Unicast], peerIsInternal: true)]

    static func corpus() throws -> [[UInt8]] {
        let update = UpdateMessage(withdrawn: [CIDR("203.0.113.0/24")!], attributes: [
            .origin(.igp), .asPath(ASPath([.init(.sequence, [65001, 4_200_000_001]), .init(.set, [65002, 65003])])),
            .nextHop(IPAddress("192.0.2.1")!), .multiExitDiscriminator(10), .localPreference(100), .atomicAggregate,
            .aggregator(Aggregator(autonomousSystem: 65001, address: 1)),
            .communities([Community(65001, 1), .gracefulShutdown]), .largeCommunities([LargeCommunity(1, 2, 3)]),
            .unknown(RawPathAttribute(flags: [.optional, .transitive, .partial], typeCode: 16, value: hex("0002fde900000064"))),
        ], nlri: [CIDR("198.51.100.0/24")!, CIDR("10.0.0.0/8")!])
        let v6 = UpdateMessage(attributes: [
            .mpReachNLRI(MultiprotocolReach(family: .ipv6Unicast, nextHop: IPAddress("2001:db8::1")!,
                                            linkLocalNextHop: IPAddress("fe80::1")!, nlri: [CIDR("2001:db8:1::/48")!])),
            .mpUnreachNLRI(MultiprotocolUnreach(family: .ipv6Unicast, withdrawn: [CIDR("2001:db8:2::/48")!])),
            .origin(.incomplete), .asPath(.sequence([65001])),
        ])
        let configuration = SessionConfiguration(localAS: 4_200_000_001, peerAS: 65001, identifier: 1,
                                                 gracefulRestart: GracefulRestartCapability(restartTime: 120, families: [.init(.ipv4Unicast)]))
        var messages: [BGPMessage] = [
            .keepalive, .open(configuration.openMessage), .update(update), .update(v6), .update(.endOfRIB(.ipv6Unicast)),
            .notification(.cease(.administrativeShutdown, communication: "maintenance")),
            .routeRefresh(RouteRefreshMessage(family: .ipv4Unicast)),
        ]
        messages.append(.update(UpdateMessage(withdrawn: [CIDR("0.0.0.0/0")!])))
        var corpus: [[UInt8]] = []
        for options in [BGPCodecOptions.fourOctetDualStack, .twoOctetIPv4] {
            for message in messages { corpus.append(try BGPMessageEncoder(options: options).encode(message)) }
        }
        return corpus
    }

    static func mutate(_ input: [UInt8], _ random: inout SeededRandom) -> [UInt8] {
        var bytes = input
        for _ in 0..<(1 + random.below(4)) {
            guard !bytes.isEmpty else { break }
            let at = random.below(bytes.count)
            switch random.below(7) {
            case 0: bytes[at] ^= UInt8(1 << random.below(8))
            case 1: bytes[at] = random.pick([0, 1, 2, 3, 4, 0x7f, 0x80, 0xff, 0x10, 0x40, 0xc0, 0x20, 0x21, 0x81])
            case 2: bytes[at] = UInt8(truncatingIfNeeded: random.next())
            case 3: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
            case 4: bytes.remove(at: at)
            case 5: bytes.removeLast(random.below(min(bytes.count, 8)) + 1)
            default:
                let length = random.below(min(16, bytes.count - at)) + 1
                bytes.insert(contentsOf: bytes[at..<at + length], at: at)
            }
        }
        // Mostly keep the header consistent so that mutations reach the body decoders.
        if random.chance(0.8), bytes.count >= 19, bytes.count <= 0xffff {
            for index in 0..<16 { bytes[index] = 0xff }
            bytes[16] = UInt8(bytes.count >> 8)
            bytes[17] = UInt8(truncatingIfNeeded: bytes.count)
        }
        return bytes
    }

    @Test func hundredThousandMutatedMessagesNeverCrash() throws {
        let corpus = try Self.corpus()
        var random = SeededRandom(state: 0x5eed_b6b0)
        var decoded = 0
        var actions: Set<BGPDecodeError.Action> = []
        var codes: Set<BGPDecodeError.Code> = []
        for iteration in 0..<100_000 {
            let input = Self.mutate(random.pick(corpus), &random)
            let options = random.pick(Self.optionSets)
            do {
                let message = try BGPMessageDecoder(options: options).decode(input)
                decoded += 1
                if case .update(let update) = message {
                    actions.formUnion(update.errors.map(\.action))
                    codes.formUnion(update.errors.map(\.code))
                }
                try checkReencoding(message, options, iteration: iteration, input: input)
            } catch let error as BGPDecodeError {
                actions.insert(error.action)
                codes.insert(error.code)
            }
        }
        // The mutations must reach deep enough to exercise every outcome.
        #expect(decoded > 10_000)
        #expect(actions == [.sessionReset, .treatAsWithdraw, .attributeDiscard])
        #expect(codes.count >= 14, "\(codes.map(\.name).sorted())")
    }

    /// A clean decode encodes again (unless too long) and decodes to the same message, with
    /// MP_REACH_NLRI / MP_UNREACH_NLRI moved first as the encoder always writes them.
    func checkReencoding(_ message: BGPMessage, _ options: BGPCodecOptions, iteration: Int, input: [UInt8]) throws {
        if case .update(let update) = message, !update.errors.isEmpty { return }
        guard let bytes = try? BGPMessageEncoder(options: options).encode(message) else { return }
        let again = try BGPMessageDecoder(options: options).decode(bytes)
        var expected = message
        if case .update(var update) = message {
            update.attributes = UpdateEncoder(options: options).prepared(update.attributes)
            expected = .update(update)
        }
        #expect(again == expected, "iteration \(iteration): \(spaced(input))")
    }

    @Test func savedCrashInputs() {
        // Inputs that once failed are replayed here.
        let inputs: [[UInt8]] = [
            header(19, 1), header(29, 1) + [4, 0, 1, 0, 90, 0, 0, 0, 1, 255], header(23, 2) + [0xff, 0xff, 0, 0],
            header(21, 3) + [6, 2], header(23, 5) + [0, 2, 1, 1],
        ]
        for input in inputs {
            _ = try? BGPMessageDecoder(options: .fourOctetDualStack).decode(input)
        }
    }
}
