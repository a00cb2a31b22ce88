/// Reads the fields of one JSON object for an input type, naming every fault by its path.
///
/// Each `required`/`optional` call marks its field as known; `finish()` rejects the fields that no
/// call asked for, so a misspelt `priorty` is an error instead of a silent default.
public struct ObjectReader {
    private let fields: [String: JSONValue]
    private let path: String
    private var known: Set<String> = []

    public init(_ value: JSONValue, path: String = "") throws(ValidationError) {
        guard case .object(let fields) = value else {
            throw ValidationError(.invalidType, "expected a JSON object, got \(value.typeName)", field: path.isEmpty ? nil : path)
        }
        self.fields = fields
        self.path = path
    }

    public func fieldPath(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    /// True when the body names the field (even with null).
    public func has(_ name: String) -> Bool { fields[name] != nil }

    public mutating func raw(_ name: String) -> JSONValue? {
        known.insert(name)
        if case .null? = fields[name] { return nil }
        return fields[name]
    }

    public mutating func finish() throws(ValidationError) {
        let unknown = fields.keys.filter { !known.contains($0) }.sorted()
        if let first = unknown.first {
            throw ValidationError(.unknownField, "unknown field '\(first)'", field: fieldPath(first))
        }
    }

    // MARK: typed accessors

    public mutating func optionalString(_ name: String, maxLength: Int = 1024) throws(ValidationError) -> String? {
        guard let value = raw(name) else { return nil }
        guard case .string(let text) = value else { throw typeError(name, "a string", value) }
        guard text.count <= maxLength else {
            throw ValidationError(.outOfRange, "must be at most \(maxLength) characters", field: fieldPath(name))
        }
        return text
    }

    public mutating func string(_ name: String, maxLength: Int = 1024) throws(ValidationError) -> String {
        guard let text = try optionalString(name, maxLength: maxLength) else { throw missing(name) }
        return text
    }

    public mutating func optionalInt(_ name: String, in range: ClosedRange<Int>) throws(ValidationError) -> Int? {
        guard let value = raw(name) else { return nil }
        guard case .number(let number) = value, number.rounded() == number, abs(number) < 9.0e15 else {
            throw typeError(name, "an integer", value)
        }
        let integer = Int(number)
        guard range.contains(integer) else {
            throw ValidationError(.outOfRange, "must be between \(range.lowerBound) and \(range.upperBound), got \(integer)", field: fieldPath(name))
        }
        return integer
    }

    public mutating func int(_ name: String, in range: ClosedRange<Int>) throws(ValidationError) -> Int {
        guard let integer = try optionalInt(name, in: range) else { throw missing(name) }
        return integer
    }

    public mutating func optionalBool(_ name: String) throws(ValidationError) -> Bool? {
        guard let value = raw(name) else { return nil }
        guard case .bool(let flag) = value else { throw typeError(name, "true or false", value) }
        return flag
    }

    public mutating func optionalAddress(_ name: String) throws(ValidationError) -> IPAddress? {
        guard let text = try optionalString(name, maxLength: 64) else { return nil }
        guard let address = IPAddress(text) else {
            throw ValidationError(.invalidAddress, "'\(text)' is not an IPv4 or IPv6 address", field: fieldPath(name))
        }
        return address
    }

    public mutating func address(_ name: String) throws(ValidationError) -> IPAddress {
        guard let address = try optionalAddress(name) else { throw missing(name) }
        return address
    }

    public mutating func optionalCIDR(_ name: String) throws(ValidationError) -> CIDR? {
        guard let text = try optionalString(name, maxLength: 64) else { return nil }
        do {
            return try CIDR.parse(text)
        } catch {
            throw ValidationError(.invalidCIDR, "'\(text)': \(error.message)", field: fieldPath(name))
        }
    }

    public mutating func cidr(_ name: String) throws(ValidationError) -> CIDR {
        guard let cidr = try optionalCIDR(name) else { throw missing(name) }
        return cidr
    }

    /// A string that must be one of the cases of `E`.
    public mutating func optionalEnum<E: RawRepresentable & CaseIterable>(_ name: String, _ type: E.Type) throws(ValidationError) -> E? where E.RawValue == String {
        guard let text = try optionalString(name, maxLength: 64) else { return nil }
        guard let value = E(rawValue: text) else {
            let allowed = E.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw ValidationError(.invalidValue, "'\(text)' is not one of \(allowed)", field: fieldPath(name))
        }
        return value
    }

    public mutating func optionalStringArray(_ name: String, maxCount: Int = 1000) throws(ValidationError) -> [String]? {
        guard let value = raw(name) else { return nil }
        guard case .array(let items) = value else { throw typeError(name, "an array of strings", value) }
        guard items.count <= maxCount else {
            throw ValidationError(.outOfRange, "at most \(maxCount) entries", field: fieldPath(name))
        }
        var strings: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let text) = item else {
                throw ValidationError(.invalidType, "expected a string, got \(item.typeName)", field: "\(fieldPath(name))[\(index)]")
            }
            strings.append(text)
        }
        return strings
    }

    /// A nested object, read by its own reader.
    public mutating func optionalObject(_ name: String) throws(ValidationError) -> ObjectReader? {
        guard let value = raw(name) else { return nil }
        return try ObjectReader(value, path: fieldPath(name))
    }

    public func missing(_ name: String) -> ValidationError {
        ValidationError(.missingField, "'\(name)' is required", field: fieldPath(name))
    }

    func typeError(_ name: String, _ expected: String, _ value: JSONValue) -> ValidationError {
        ValidationError(.invalidType, "expected \(expected), got \(value.typeName)", field: fieldPath(name))
    }
}
