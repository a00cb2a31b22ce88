import Foundation
import MoatCore
import MoatModel
import Testing

/// The ROA CSV and RPSL readers: both forms of CSV, the quirks of real RPSL, and errors that
/// name the line.
@Suite struct OriginDataParserTests {
    static func roa(_ prefix: String, _ maxLength: Int, _ asn: UInt32) -> ROA { ROA(prefix: CIDR(prefix)!, maxLength: maxLength, asn: asn) }

    static func csvError(_ text: String) -> String? {
        do {
            _ = try ROACSVParser.parse(text)
            return nil
        } catch {
            return "\(error)"
        }
    }

    static func rpslError(_ text: String) -> String? {
        do {
            _ = try RPSLParser.routes(in: text)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func readsThePlainFormWithAndWithoutAHeader() throws {
        let expected = [Self.roa("203.0.113.0/24", 24, 64500), Self.roa("2001:db8::/32", 48, 64501), Self.roa("198.51.100.0/22", 22, 64502)]
        let withHeader = "prefix,max_length,asn\n203.0.113.0/24,24,AS64500\n2001:db8::/32, 48 , 64501\n198.51.100.0/22,,as64502\n"
        #expect(try ROACSVParser.parse(withHeader) == expected)
        let bare = "# exported 2026-11-23\r\n203.0.113.0/24,24,AS64500\r\n\r\n2001:db8::/32,48,64501\r\n\"198.51.100.0/22\",\"22\",\"AS64502\"\r\n"
        #expect(try ROACSVParser.parse(bare) == expected)
    }

    @Test func readsTheValidatorExport() throws {
        let routinator = """
        ASN,IP Prefix,Max Length,Trust Anchor
        AS13335,1.1.1.0/24,24,apnic
        AS13335,2606:4700::/32,48,arin
        AS0,203.0.113.0/24,24,apnic
        AS13335,1.1.1.0/24,24,apnic
        """
        let expected = [Self.roa("1.1.1.0/24", 24, 13335), Self.roa("2606:4700::/32", 48, 13335), Self.roa("203.0.113.0/24", 24, 0)]
        #expect(try ROACSVParser.parse(routinator) == expected, "duplicates count once")
        // rpki-client adds an Expires column; without a header the shape tells the form.
        let rpkiClient = "ASN,IP Prefix,Max Length,Trust Anchor,Expires\nAS13335,1.1.1.0/24,24,apnic,1764000000\n"
        #expect(try ROACSVParser.parse(rpkiClient) == [Self.roa("1.1.1.0/24", 24, 13335)])
        #expect(try ROACSVParser.parse("AS13335,1.1.1.0/24,24,apnic\n13335,2606:4700::/32,48,arin") == Array(expected.prefix(2)))
        // A header may order the columns as it likes.
        #expect(try ROACSVParser.parse("ASN,Max Length,Prefix\n64500,24,203.0.113.0/24") == [Self.roa("203.0.113.0/24", 24, 64500)])
    }

    @Test func csvErrorsNameTheLine() {
        #expect(Self.csvError("prefix,max_length,asn\n203.0.113.0/24,24,AS64500\n203.0.113.0/24,20,AS64500\n")
            == "line 3: max length 20 is shorter than the prefix /24")
        #expect(Self.csvError("203.0.113.0/24,33,AS64500") == "line 1: max length 33 is longer than /32, the longest IPv4 prefix")
        #expect(Self.csvError("2001:db8::/32,129,AS64500") == "line 1: max length 129 is longer than /128, the longest IPv6 prefix")
        #expect(Self.csvError("203.0.113.0/24,24,AS64500\n\n# note\n203.0.113.1/24,24,AS64500")
            == "line 4: '203.0.113.1/24' is not a prefix: host bits are set; the prefix is 203.0.113.0/24")
        #expect(Self.csvError("203.0.113.0/24,24,AS64500\n203.0.113.0/24,24,ASx") == "line 2: 'ASx' is not an AS number (write AS64500 or 64500)")
        #expect(Self.csvError("203.0.113.0/24,24,AS64500\n203.0.113.0/24,24") == "line 2: expected 3 fields (prefix, max length, AS), found 2")
        #expect(Self.csvError("203.0.113.0/24,x,AS64500") == "line 1: max length 'x' is not a number")
        #expect(Self.csvError("AS13335,1.1.1.0/24,24,apnic\nAS13335,1.1.1.0/24") == "line 2: expected 3 fields (ASN, IP prefix, max length), found 2")
        #expect(Self.csvError("AS64500,24,apnic")?.hasPrefix("line 1: expected prefix,max_length,asn") == true)
        #expect(Self.csvError("Prefix,ASN\n203.0.113.0/24,64500") == "line 1: the header has no max length column")
        #expect(Self.csvError("prefix,max_length,asn\n# nothing yet\n") == "no ROAs: expected lines of prefix,max_length,asn or ASN,IP Prefix,Max Length,Trust Anchor")
        #expect(Self.csvError("203.0.113.0/24,24,4294967296") == "line 1: '4294967296' is not an AS number (write AS64500 or 64500)")
    }

    @Test func readsRouteObjectsFromRPSL() throws {
        let text = """
        % This is the RIPE Database query service.
        % Information related to '203.0.113.0/24AS64500'

        route:          203.0.113.0/24
        descr:          Example web
                        second line of the description
        origin:         AS64500 # the customer
        mnt-by:         EXAMPLE-MNT
        source:         ripe

        # an aut-num and a mntner are skipped, malformed lines and all
        aut-num:        AS64500
        as-name:        EXAMPLE
        this line is not an attribute
        mnt-by:         EXAMPLE-MNT

        Route6:         2001:db8::/32
        ORIGIN:         as64501
        Source:         ARIN

        route:
        +               198.51.100.0/24
        origin:
         AS64502
        """
        let routes = try RPSLParser.routes(in: text)
        #expect(routes == [
            IRRRoute(prefix: CIDR("203.0.113.0/24")!, origin: 64500, source: "RIPE"),
            IRRRoute(prefix: CIDR("2001:db8::/32")!, origin: 64501, source: "ARIN"),
            IRRRoute(prefix: CIDR("198.51.100.0/24")!, origin: 64502),
        ])
        // The same object twice (two dumps concatenated) counts once.
        #expect(try RPSLParser.routes(in: "route: 192.0.2.0/24\norigin: AS1\n\nroute: 192.0.2.0/24\norigin: AS1\n").count == 1)
    }

    @Test func rpslErrorsNameTheLine() {
        #expect(Self.rpslError("route: 192.0.2.0/24\norigin: AS1\n\nroute: 203.0.113.0/24\ndescr: no origin\n")
            == "line 4: route 203.0.113.0/24 has no origin: attribute")
        #expect(Self.rpslError("route: 192.0.2.0/24\nmnt-by: X\norigin: ASX\n") == "line 3: origin 'ASX' is not an AS number (write AS64500)")
        #expect(Self.rpslError("route: 2001:db8::/32\norigin: AS1") == "line 1: 2001:db8::/32 belongs in a route6: object, not route:")
        #expect(Self.rpslError("route6: 192.0.2.0/24\norigin: AS1") == "line 1: 192.0.2.0/24 belongs in a route: object, not route6:")
        #expect(Self.rpslError("\n\nroute: 192.0.2.1/24\norigin: AS1")
            == "line 3: '192.0.2.1/24' is not a prefix: host bits are set; the prefix is 192.0.2.0/24")
        #expect(Self.rpslError("route: 192.0.2.0/24\norigin: AS1\norigin: AS2") == "line 3: route 192.0.2.0/24 has a second origin: (one object names one origin AS)")
        #expect(Self.rpslError("route: 192.0.2.0/24\nthis is not RPSL\norigin: AS1") == "line 2: expected 'attribute: value', e.g. 'route: 203.0.113.0/24'")
        #expect(Self.rpslError("  192.0.2.0/24") == "line 1: a continuation line (starting with a space, tab or +) with no attribute before it")
        #expect(Self.rpslError("203.0.113.0/24,24,AS64500") == "line 1: expected 'attribute: value', e.g. 'route: 203.0.113.0/24'")
        #expect(Self.rpslError("aut-num: AS1\nas-name: X\n") == "no route: or route6: objects with an origin: found")
    }
}
