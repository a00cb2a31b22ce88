import Foundation

/// Fields that measurements need: fractional numbers, timestamps and arrays of objects.
extension ObjectReader {
    public mutating func optionalDouble(_ name: String, in range: ClosedRange<Double>) throws(ValidationError) -> Double? {
        guard let value = raw(name) else { return nil }
        guard case .number(let number) = value, number.isFinite else { throw typeError(name, "a number", value) }
        guard range.contains(number) else {
            throw ValidationError(.outOfRange, "must be between \(range.lowerBound) and \(range.upperBound), got \(number)", field: fieldPath(name))
        }
        return number
    }

    /// An RFC 3339 timestamp, e.g. `2026-11-23T12:00:00Z`.
    public mutating func optionalDate(_ name: String) throws(ValidationError) -> Date? {
        guard let text = try optionalString(name, maxLength: 64) else { return nil }
        guard let date = RFC3339.date(text) else {
            throw ValidationError(.invalidValue, "'\(text)' is not an RFC 3339 timestamp such as 2026-11-23T12:00:00Z", field: fieldPath(name))
        }
        return date
    }

    public mutating func date(_ name: String) throws(ValidationError) -> Date {
        guard let date = try optionalDate(name) else { throw missing(name) }
        return date
    }

    /// A string that must be one of the cases of `E`.
    public mutating func requiredEnum<E: RawRepresentable & CaseIterable>(_ name: String, _ type: E.Type) throws(ValidationError) -> E where E.RawValue == String {
        guard let value = try optionalEnum(name, type) else { throw missing(name) }
        return value
    }

    /// An array whose items are read one by one, each by its own reader with the path
    /// `name[index]`, so a fault names its place.
    public mutating func optionalObjects<T>(_ name: String, maxCount: Int, _ read: (inout ObjectReader) throws(ValidationError) -> T) throws(ValidationError) -> [T]? {
        guard let value = raw(name) else { return nil }
        guard case .array(let items) = value else { throw typeError(name, "an array of objects", value) }
        guard items.count <= maxCount else {
            throw ValidationError(.outOfRange, "at most \(maxCount) entries, got \(items.count)", field: fieldPath(name))
        }
        var result: [T] = []
        result.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            var reader = try ObjectReader(item, path: "\(fieldPath(name))[\(index)]")
            let value = try read(&reader)
            try reader.finish()
            result.append(value)
        }
        return result
    }

    /// An array of integers, each within `range`.
    public mutating func optionalIntArray(_ name: String, in range: ClosedRange<Int>, maxCount: Int) throws(ValidationError) -> [Int]? {
        guard let value = raw(name) else { return nil }
        guard case .array(let items) = value else { throw typeError(name, "an array of integers", value) }
        guard items.count <= maxCount else {
            throw ValidationError(.outOfRange, "at most \(maxCount) entries, got \(items.count)", field: fieldPath(name))
        }
        var result: [Int] = []
        for (index, item) in items.enumerated() {
            guard case .number(let number) = item, number.rounded() == number, abs(number) < 9.0e15 else {
                throw ValidationError(.invalidType, "expected an integer, got \(item.typeName)", field: "\(fieldPath(name))[\(index)]")
            }
            guard range.contains(Int(number)) else {
                throw ValidationError(.outOfRange, "must be between \(range.lowerBound) and \(range.upperBound), got \(Int(number))",
                                      field: "\(fieldPath(name))[\(index)]")
            }
            result.append(Int(number))
        }
        return result
    }
}
