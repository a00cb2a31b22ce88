import MoatModel

/// Reads the `route:` and `route6:` objects of RPSL text (RFC 2622 §2 and §4.5, RFC 4012 §2):
/// a registry dump, `whois` output or an extract. Objects are separated by blank lines; an
/// object's class is its first attribute. Attribute names are case-insensitive, `#` starts a
/// comment (`%` lines too, as whois servers print them), and a line starting with a space, a tab
/// or `+` continues the attribute before it. Other attributes and other classes are skipped;
/// malformed lines are errors only inside route objects, so one odd object elsewhere in a dump
/// does not refuse it.
package enum RPSLParser {
    struct Attribute {
        var name: String
        var value: String
        var line: Int
    }

    package static func routes(in text: String) throws(OriginDataError) -> [IRRRoute] {
        var routes: [IRRRoute] = []
        var seen = Set<IRRRoute>()
        var object: [Attribute] = []
        func finish() throws(OriginDataError) {
            defer { object.removeAll(keepingCapacity: true) }
            guard let route = try RPSLParser.route(from: object), seen.insert(route).inserted else { return }
            routes.append(route)
        }
        var number = 0
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            number += 1
            if line.allSatisfy(\.isWhitespace) {
                try finish()
                continue
            }
            if line.hasPrefix("#") || line.hasPrefix("%") { continue }
            let isRoute = object.first.map { isRouteClass($0.name) } ?? false
            if let first = line.first, first == " " || first == "\t" || first == "+" {
                guard !object.isEmpty else {
                    throw OriginDataError(line: number, "a continuation line (starting with a space, tab or +) with no attribute before it")
                }
                let more = withoutComment(line.dropFirst())
                if !more.isEmpty { object[object.count - 1].value += (object[object.count - 1].value.isEmpty ? "" : " ") + more }
                continue
            }
            guard let colon = line.firstIndex(of: ":"), isAttributeName(line[..<colon]) else {
                if isRoute || object.isEmpty {
                    throw OriginDataError(line: number, "expected 'attribute: value', e.g. 'route: 203.0.113.0/24'")
                }
                continue
            }
            object.append(Attribute(name: line[..<colon].lowercased(), value: withoutComment(line[line.index(after: colon)...]), line: number))
        }
        try finish()
        guard !routes.isEmpty else { throw OriginDataError(line: nil, "no route: or route6: objects with an origin: found") }
        return routes
    }

    /// The route an object describes, or nil for other classes.
    static func route(from object: [Attribute]) throws(OriginDataError) -> IRRRoute? {
        guard let head = object.first, isRouteClass(head.name) else { return nil }
        let prefix: CIDR
        do {
            prefix = try CIDR.parse(head.value)
        } catch {
            throw OriginDataError(line: head.line, "'\(head.value)' is not a prefix: \(error.message)")
        }
        if prefix.isIPv4 != (head.name == "route") {
            let right = prefix.isIPv4 ? "route" : "route6"
            throw OriginDataError(line: head.line, "\(prefix) belongs in a \(right): object, not \(head.name):")
        }
        let origins = object.filter { $0.name == "origin" }
        guard let origin = origins.first else {
            throw OriginDataError(line: head.line, "\(head.name) \(prefix) has no origin: attribute")
        }
        guard origins.count == 1 else {
            throw OriginDataError(line: origins[1].line, "\(head.name) \(prefix) has a second origin: (one object names one origin AS)")
        }
        guard let asn = ASNumber.parse(origin.value) else {
            throw OriginDataError(line: origin.line, "origin '\(origin.value)' is not an AS number (write AS64500)")
        }
        let source = object.first { $0.name == "source" }.map { $0.value.uppercased() }
        return IRRRoute(prefix: prefix, origin: asn, source: source?.isEmpty == false ? source : nil)
    }

    static func isRouteClass(_ name: String) -> Bool { name == "route" || name == "route6" }

    static func isAttributeName(_ text: Substring) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    /// The value without its end-of-line comment and surrounding whitespace.
    static func withoutComment(_ text: Substring) -> String {
        let value = text.firstIndex(of: "#").map { text[..<$0] } ?? text
        return String(value.trimmingWhitespace)
    }
}
