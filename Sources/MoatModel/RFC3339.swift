import Foundation

/// Timestamps as the API writes and reads them (RFC 3339): `2026-11-23T12:00:00Z`, with or
/// without fractional seconds, `Z` or a numeric offset.
public enum RFC3339 {
    public static func date(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle())
    }

    /// With milliseconds, in UTC: what the API answers.
    public static func string(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
