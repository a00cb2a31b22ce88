import Foundation
import MoatModel

/// Reads `proxy_events` of `POST /v1/edge/telemetry`, naming each fault by its place
/// (`proxy_events[3].status`). App IDs are not checked here: an app deleted since the edge's
/// last config is dropped by the store instead of refusing the report.
enum ProxyEventInput {
    static let maxEvents = 50_000

    static func events(_ reader: inout ObjectReader) throws(ValidationError) -> [ProxyEvent] {
        try reader.optionalObjects("proxy_events", maxCount: maxEvents) { (item: inout ObjectReader) throws(ValidationError) -> ProxyEvent in
            let statusCode = try item.int("status", in: 100...599)
            guard let status = ProxyEvent.Status(rawValue: statusCode) else {
                throw ValidationError(.invalidValue, "\(statusCode) is not a Spectrum event status", field: item.fieldPath("status"))
            }
            return ProxyEvent(
                appID: try item.string("app_id", maxLength: 64),
                proto: try item.requiredEnum("protocol", SpectrumApp.TransportProtocol.self),
                clientAddress: try item.address("client_address"),
                clientPort: try item.int("client_port", in: 0...65535),
                edgePort: try item.int("edge_port", in: 0...65535),
                originAddress: try item.optionalAddress("origin_address"),
                originPort: try item.optionalInt("origin_port", in: 0...65535),
                bytesFromClient: UInt64(try item.int("bytes_from_client", in: 0...Int.max)),
                bytesToClient: UInt64(try item.int("bytes_to_client", in: 0...Int.max)),
                start: try item.date("start"),
                durationMs: try item.int("duration_ms", in: 0...Int.max),
                status: status)
        } ?? []
    }

    static let maxUnserved = 10_000

    /// `unserved_apps`: app id → why this edge does not serve it; nil when absent.
    static func unservedApps(_ reader: inout ObjectReader) throws(ValidationError) -> [String: String]? {
        guard reader.has("unserved_apps") else { return nil }
        guard case .object(let entries)? = reader.raw("unserved_apps") else {
            throw ValidationError(.invalidType, "expected an object of app id → reason", field: "unserved_apps")
        }
        guard entries.count <= maxUnserved else { throw ValidationError(.invalidValue, "at most \(maxUnserved) apps", field: "unserved_apps") }
        var unserved: [String: String] = [:]
        for (id, value) in entries {
            guard id.count <= 64 else { throw ValidationError(.invalidValue, "an app id is at most 64 characters", field: "unserved_apps") }
            guard case .string(let reason) = value else {
                throw ValidationError(.invalidType, "a reason is a string", field: "unserved_apps.\(id)")
            }
            guard reason.count <= 1000 else {
                throw ValidationError(.invalidValue, "a reason is at most 1000 characters", field: "unserved_apps.\(id)")
            }
            unserved[id] = reason
        }
        return unserved
    }
}
