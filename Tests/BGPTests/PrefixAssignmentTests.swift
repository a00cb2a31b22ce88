import Testing
@testable import BGP

@Suite struct PrefixAssignmentTests {
    static func prefixes(_ count: Int) -> [String] { (0..<count).map { "10.\($0 / 256).\($0 % 256).0/24" } }
    static func servers(_ count: Int) -> [String] { (0..<count).map { "edge-\($0)" } }

    static func check(_ assignment: PrefixAssignment, prefixes: [String], servers: [String], limit: Int?, copies: Int) {
        for (server, assigned) in assignment.byServer {
            #expect(servers.contains(server))
            if let limit { #expect(assigned.count <= limit, "\(server) has \(assigned.count) > \(limit)") }
            #expect(Set(assigned).count == assigned.count)
        }
        for prefix in prefixes {
            #expect(assignment.servers(for: prefix).count == min(copies, servers.count), "\(prefix)")
        }
    }

    @Test func everyFeasibleRequestIsMetExactly() throws {
        var state: UInt64 = 42
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        for _ in 0..<300 {
            let serverCount = 2 + next(7)
            let copies = 1 + next(min(3, serverCount))
            let limit = 1 + next(40)
            // Right up to the capacity, where a plain greedy choice would paint itself into a corner.
            let prefixCount = next(serverCount * limit / copies + 1)
            let prefixes = Self.prefixes(prefixCount)
            let servers = Self.servers(serverCount)
            let assignment = try PrefixAssignment(prefixes: prefixes, servers: servers, limit: limit, copies: copies)
            Self.check(assignment, prefixes: prefixes, servers: servers, limit: limit, copies: copies)
        }
    }

    @Test func tightCapacityThatGreedyWouldMiss() throws {
        // 3 servers × 2 = 6 = 3 prefixes × 2: only a perfect spread fits.
        let assignment = try PrefixAssignment(prefixes: Self.prefixes(3), servers: Self.servers(3), limit: 2)
        Self.check(assignment, prefixes: Self.prefixes(3), servers: Self.servers(3), limit: 2, copies: 2)
    }

    @Test func infeasibleRequestsSayWhy() {
        #expect(throws: PrefixAssignment.Infeasible(prefixes: 101, servers: 4, limit: 50, copies: 2)) {
            try PrefixAssignment(prefixes: Self.prefixes(101), servers: Self.servers(4), limit: 50)
        }
        do {
            _ = try PrefixAssignment(prefixes: Self.prefixes(101), servers: Self.servers(4), limit: 50)
        } catch {
            #expect(error.description == "101 prefixes × 2 copies = 202 announcements do not fit in 4 servers × 50 = 200")
        }
        #expect(throws: PrefixAssignment.Infeasible.self) { try PrefixAssignment(prefixes: ["a"], servers: ["s1"], limit: nil) }
    }

    @Test func addingOrRemovingAServerMovesAboutOneInS() throws {
        let prefixes = Self.prefixes(2_000)
        let servers = Self.servers(8)
        let before = try PrefixAssignment(prefixes: prefixes, servers: servers, limit: 1_000)
        let fewer = try PrefixAssignment(prefixes: prefixes, servers: Array(servers.dropLast()), limit: 1_000)
        let more = try PrefixAssignment(prefixes: prefixes, servers: servers + ["edge-new"], limit: 1_000)
        func moved(_ other: PrefixAssignment) -> Double {
            var changed = 0
            for prefix in prefixes where Set(before.servers(for: prefix)) != Set(other.servers(for: prefix)) { changed += 1 }
            return Double(changed) / Double(prefixes.count)
        }
        // Each prefix has 2 of 8 servers: about 2/8 of prefixes involve a given server.
        #expect(moved(fewer) < 0.32, "removing one server moved \(moved(fewer))")
        #expect(moved(more) < 0.32, "adding one server moved \(moved(more))")
        #expect(moved(fewer) > 0.1)
        // Deterministic: the same inputs in another order give the same answer.
        #expect(try PrefixAssignment(prefixes: prefixes.reversed(), servers: servers.reversed(), limit: 1_000) == before)
    }
}
