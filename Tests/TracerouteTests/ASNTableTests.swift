import MoatModel
import Testing
import Traceroute

@Suite struct ASNTableTests {
    static let file = """
    # start\tend\tasn\tname
    10.0.0.0\t10.0.255.255\t64501\tTRANSIT-A Example Transit
    203.0.113.0\t203.0.113.255\tAS64500\tACME
    198.51.100.0\t198.51.100.255\t0\tNot routed\r
    2001:db8::\t2001:db8::ffff\t64502

    """

    @Test func parsesAndLooksUp() throws {
        let table = try ASNTable.parse(Self.file)
        #expect(table.entries.count == 3, "AS 0 (unrouted) gives no entry")
        func lookup(_ text: String) -> UInt32? { table.lookup(IPAddress(text)!)?.asn }
        #expect(lookup("10.0.0.0") == 64501 && lookup("10.0.255.255") == 64501 && lookup("10.0.12.2") == 64501)
        #expect(lookup("9.255.255.255") == nil && lookup("10.1.0.0") == nil)
        #expect(lookup("203.0.113.10") == 64500 && table.lookup(IPAddress("203.0.113.10")!)?.name == "ACME")
        #expect(lookup("198.51.100.7") == nil)
        #expect(lookup("2001:db8::1") == 64502 && table.lookup(IPAddress("2001:db8::1")!)?.name == nil)
        #expect(lookup("2001:db8::1:0") == nil)
        #expect(table.name(of: 64501) == "TRANSIT-A Example Transit" && table.name(of: 1) == nil)
    }

    @Test(arguments: [
        ("10.0.0.0\t10.0.0.255", 1, "expected 'start<TAB>end<TAB>asn[<TAB>name]', got 2 fields"),
        ("# ok\n10.0.0.x\t10.0.0.255\t1\tX", 2, "'10.0.0.x' is not an IP address"),
        ("10.0.0.0\t2001:db8::\t1\tX", 1, "'2001:db8::' is not an IP address of the start's family"),
        ("10.0.1.0\t10.0.0.255\t1\tX", 1, "the range ends (10.0.0.255) before it starts (10.0.1.0)"),
        ("10.0.0.0\t10.0.0.255\tASX\tX", 1, "'ASX' is not an AS number"),
        ("10.0.0.0\t10.0.0.255\t1\tX\n\n10.0.0.128\t10.0.1.0\t2\tY", 3, "the range 10.0.0.128-10.0.1.0 overlaps line 1"),
    ])
    func refusesBadLines(_ text: String, _ line: Int, _ message: String) {
        #expect(throws: ASNTableError(line: line, message)) { try ASNTable.parse(text) }
    }
}
