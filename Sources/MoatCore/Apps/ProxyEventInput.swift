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
}
