/// A rejected input: what is wrong, in which field (a JSON path such as `scope.locations[1]`).
///
/// Public error types are structs with a `Code`, so new codes do not break callers.
public struct ValidationError: Error, Equatable, Sendable {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let invalidJSON = Code(rawValue: "invalid_json")
        public static let unknownField = Code(rawValue: "unknown_field")
        public static let missingField = Code(rawValue: "missing_field")
        public static let invalidType = Code(rawValue: "invalid_type")
        public static let invalidValue = Code(rawValue: "invalid_value")
        public static let invalidAddress = Code(rawValue: "invalid_address")
        public static let invalidCIDR = Code(rawValue: "invalid_cidr")
        public static let outOfRange = Code(rawValue: "out_of_range")
    }

    public var code: Code
    public var message: String
    public var field: String?

    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }
}
