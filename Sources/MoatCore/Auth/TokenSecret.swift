import Crypto
import Foundation

/// Bearer secrets: 256 random bits, shown once, stored only as their SHA-256.
///
/// The text form is `moat_` plus 64 hex digits, so leaked tokens are easy to grep for.
package enum TokenSecret {
    package static let prefix = "moat_"

    package static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        var text = prefix
        for _ in 0..<4 {
            let word = generator.next() as UInt64
            let hex = String(word, radix: 16)
            text += String(repeating: "0", count: 16 - hex.count) + hex
        }
        return text
    }

    /// The stored form. A fast hash is right here: the secret has 256 bits of entropy, so
    /// there is nothing to stretch against guessing.
    package static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Cheap shape check before any lookup.
    package static func looksValid(_ secret: String) -> Bool {
        secret.hasPrefix(prefix) && secret.utf8.count == prefix.utf8.count + 64
    }
}
