import Foundation

/// A parsed JSON document, kept untyped so that input readers can name the exact field that is
/// wrong and reject fields they do not know (JSONDecoder silently ignores those).
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses a request body. The error names the position where the text stops being JSON.
    public static func parse(_ data: Data) throws(ValidationError) -> JSONValue {
        guard !data.isEmpty else { throw ValidationError(.invalidJSON, "the request body is empty; expected a JSON object") }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw ValidationError(.invalidJSON, "the body is not valid JSON: \(position(of: data))")
        }
    }

    /// JSONDecoder does not say where the text went wrong; JSONSerialization does
    /// ("Invalid value around character 9.").
    static func position(of data: Data) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return "it holds a value that cannot be represented (such as a lone UTF-16 surrogate)"
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            return detail ?? "\(error)"
        }
    }

    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
