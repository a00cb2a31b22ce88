/// An IP prefix in CIDR notation. The host bits are always zero: `192.0.2.1/24` does not parse,
/// so two spellings of one prefix cannot be stored as different objects.
public struct CIDR: Hashable, Sendable, Comparable {
    public let address: IPAddress
    public let length: Int

    public enum ParseError: Error, Equatable, Sendable {
        case missingLength
        case invalidAddress(String)
        case invalidLength(String)
        case hostBitsSet(suggestion: String)

        public var message: String {
            switch self {
            case .missingLength: return "expected ADDRESS/LENGTH, e.g. 192.0.2.0/24"
            case .invalidAddress(let text): return "'\(text)' is not an IPv4 or IPv6 address"
            case .invalidLength(let text): return "'\(text)' is not a valid prefix length for this address family"
            case .hostBitsSet(let suggestion): return "host bits are set; the prefix is \(suggestion)"
            }
        }
    }

    public init(address: IPAddress, length: Int) throws(ParseError) {
        guard length >= 0, length <= address.bitWidth else { throw .invalidLength(String(length)) }
        let network = CIDR.mask(address, length)
        guard network == address else {
            throw .hostBitsSet(suggestion: "\(network)/\(length)")
        }
        self.address = address
        self.length = length
    }

    public static func parse(_ text: String) throws(ParseError) -> CIDR {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .missingLength }
        guard let address = IPAddress(String(parts[0])) else { throw .invalidAddress(String(parts[0])) }
        let lengthText = String(parts[1])
        guard !lengthText.isEmpty, lengthText.count <= 3, lengthText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let length = Int(lengthText), length >= 0, length <= address.bitWidth
        else { throw .invalidLength(lengthText) }
        return try CIDR(address: address, length: length)
    }

    public init?(_ text: String) {
        guard let value = try? CIDR.parse(text) else { return nil }
        self = value
    }

    /// The host prefix of one address (/32 or /128).
    public init(host: IPAddress) {
        self.address = host
        self.length = host.bitWidth
    }

    public var isIPv4: Bool { address.isIPv4 }

    /// The last address inside the prefix.
    public var lastAddress: IPAddress {
        let hostBits = address.bitWidth - length
        let hostMask: UInt128 = hostBits == 0 ? 0 : (hostBits >= 128 ? ~0 : (UInt128(1) << hostBits) - 1)
        return address.sameFamily(address.numeric | hostMask)
    }

    /// Number of addresses, saturating at UInt128.max for ::/0.
    public var size: UInt128 {
        let hostBits = address.bitWidth - length
        return hostBits >= 128 ? .max : UInt128(1) << hostBits
    }

    public func contains(_ other: IPAddress) -> Bool {
        other.isIPv4 == address.isIPv4 && CIDR.mask(other, length) == address
    }

    /// True when `other` lies entirely inside this prefix.
    public func contains(_ other: CIDR) -> Bool {
        other.length >= length && contains(other.address)
    }

    public func overlaps(_ other: CIDR) -> Bool {
        contains(other) || other.contains(self)
    }

    /// The prefix of `length` bits that contains this one: 203.0.113.0/24 at 16 is 203.0.0.0/16.
    /// `length` must lie between 0 and this prefix's length.
    public func supernet(length: Int) -> CIDR {
        precondition(length >= 0 && length <= self.length, "a supernet of /\(self.length) cannot be /\(length)")
        return CIDR(unchecked: CIDR.mask(address, length), length: length)
    }

    private init(unchecked address: IPAddress, length: Int) {
        self.address = address
        self.length = length
    }

    /// The network address of `address` with `length` prefix bits kept.
    public static func mask(_ address: IPAddress, _ length: Int) -> IPAddress {
        let width = address.bitWidth
        let hostBits = width - length
        let value = address.numeric
        let masked: UInt128 = hostBits >= 128 ? 0 : (value >> hostBits) << hostBits
        return address.sameFamily(masked)
    }

    public static func < (lhs: CIDR, rhs: CIDR) -> Bool {
        lhs.address == rhs.address ? lhs.length < rhs.length : lhs.address < rhs.address
    }
}

extension CIDR: CustomStringConvertible {
    public var description: String { "\(address)/\(length)" }
}

extension CIDR: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try CIDR.parse(text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
