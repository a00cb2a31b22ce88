/// AS_PATH (RFC 4271 §4.3 b, §5.1.2) and AS4_PATH (RFC 6793): a list of segments, each an
/// ordered sequence or an unordered set of AS numbers; confederation segments of RFC 5065
/// are kept too.
package struct ASPath: Hashable, Sendable, CustomStringConvertible {
    package var segments: [Segment]

    package init(_ segments: [Segment] = []) {
        self.segments = segments
    }

    package static func sequence(_ asns: [UInt32]) -> ASPath {
        ASPath(asns.isEmpty ? [] : [Segment(.sequence, asns)])
    }

    package struct Segment: Hashable, Sendable {
        package var type: SegmentType
        package var asns: [UInt32]

        package init(_ type: SegmentType, _ asns: [UInt32]) {
            self.type = type
            self.asns = asns
        }
    }

    package enum SegmentType: UInt8, Hashable, Sendable {
        case set = 1
        case sequence = 2
        case confedSequence = 3
        case confedSet = 4
    }

    /// The path length used in route selection (RFC 4271 §9.1.2.2 a): a set counts as one,
    /// confederation segments as none (RFC 5065 §5.3).
    package var length: Int {
        segments.reduce(0) { total, segment in
            switch segment.type {
            case .sequence: return total + segment.asns.count
            case .set: return total + 1
            case .confedSequence, .confedSet: return total
            }
        }
    }

    /// The neighbour AS: the first AS of a leading AS_SEQUENCE.
    package var firstAS: UInt32? {
        guard let first = segments.first, first.type == .sequence else { return nil }
        return first.asns.first
    }

    package var needsFourOctets: Bool {
        segments.contains { $0.asns.contains { $0 > UInt32(UInt16.max) } }
    }

    /// RFC 6793 §4.2.3: rebuilds the real path from a 2-octet peer's AS_PATH (with AS_TRANS
    /// in place of large AS numbers) and its AS4_PATH. The AS4_PATH is ignored when it is
    /// longer than the AS_PATH; otherwise the leading part of the AS_PATH that the AS4_PATH
    /// lacks is prepended to it.
    package func merging(as4Path: ASPath) -> ASPath {
        var missing = length - as4Path.length
        guard missing >= 0 else { return self }
        var leading: [Segment] = []
        for (index, segment) in segments.enumerated() {
            switch segment.type {
            case .confedSequence, .confedSet:
                // Kept when leading, or while the leading part is still being taken.
                guard missing > 0 || index == 0 else { return ASPath(leading + as4Path.segments) }
                leading.append(segment)
            case .set:
                guard missing > 0 else { return ASPath(leading + as4Path.segments) }
                leading.append(segment)
                missing -= 1
            case .sequence:
                guard missing > 0 else { return ASPath(leading + as4Path.segments) }
                let taken = Array(segment.asns.prefix(missing))
                leading.append(Segment(.sequence, taken))
                missing -= taken.count
            }
        }
        return ASPath(leading + as4Path.segments)
    }

    package var description: String {
        segments.map { segment in
            let list = segment.asns.map(String.init).joined(separator: " ")
            switch segment.type {
            case .sequence: return list
            case .set: return "{\(list)}"
            case .confedSequence: return "(\(list))"
            case .confedSet: return "[\(list)]"
            }
        }.joined(separator: " ")
    }

    /// Decodes segments of `asSize`-octet AS numbers. Nil when malformed (RFC 7606 §7.2): an
    /// unknown segment type, a zero segment length, or a segment overrunning the value.
    static func decode(_ value: [UInt8], asSize: Int) -> ASPath? {
        var reader = ByteReader(value)
        var segments: [Segment] = []
        while !reader.isAtEnd {
            guard let rawType = reader.u8(), let type = SegmentType(rawValue: rawType),
                  let count = reader.u8(), count > 0, reader.remaining >= Int(count) * asSize
            else { return nil }
            var asns: [UInt32] = []
            asns.reserveCapacity(Int(count))
            for _ in 0..<count {
                guard let asn = asSize == 4 ? reader.u32() : reader.u16().map(UInt32.init) else { return nil }
                asns.append(asn)
            }
            segments.append(Segment(type, asns))
        }
        return ASPath(segments)
    }

    /// Encodes with `asSize`-octet AS numbers; AS numbers that do not fit in 2 octets become
    /// AS_TRANS. Segments longer than 255 are split; empty ones are left out.
    func encode(asSize: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for segment in segments {
            var start = 0
            while start < segment.asns.count {
                let chunk = segment.asns[start..<min(start + 255, segment.asns.count)]
                bytes.append(segment.type.rawValue)
                bytes.append(UInt8(chunk.count))
                for asn in chunk {
                    if asSize == 4 {
                        bytes.put32(asn)
                    } else {
                        bytes.put16(asn > UInt32(UInt16.max) ? OpenMessage.asTrans : UInt16(asn))
                    }
                }
                start += chunk.count
            }
        }
        return bytes
    }
}
