@testable import BGP

/// Bytes from hex written the way RFC figures and captures are read: whitespace and
/// `#` comments to the end of a line are ignored.
func hex(_ text: String) -> [UInt8] {
    var digits: [UInt8] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        let code = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        for character in code where !character.isWhitespace {
            guard let value = character.hexDigitValue else { fatalError("not hex: \(character)") }
            digits.append(UInt8(value))
        }
    }
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
}

/// The 16-byte all-ones marker, the length and the type: a message header.
func header(_ length: Int, _ type: UInt8) -> [UInt8] {
    [UInt8](repeating: 0xff, count: 16) + [UInt8(length >> 8), UInt8(length & 0xff), type]
}

/// A whole message from a body: the header is computed.
func message(_ type: MessageType, _ body: [UInt8]) -> [UInt8] {
    header(19 + body.count, type.rawValue) + body
}

func spaced(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " ")
}

extension BGPCodecOptions {
    static let fourOctetDualStack = BGPCodecOptions(fourOctetAS: true, families: [.ipv4Unicast, .ipv6Unicast])
    static let twoOctetIPv4 = BGPCodecOptions(fourOctetAS: false, families: [.ipv4Unicast])
    static let fourOctetIPv4 = BGPCodecOptions(fourOctetAS: true, families: [.ipv4Unicast])
}
