import Hummingbird

/// Registers the API's routes and remembers them, so a test can hold the OpenAPI document
/// against what the server really serves.
package final class APIRouter {
    package struct Entry: Hashable, Sendable {
        package var method: String
        /// OpenAPI style: `/v1/accounts/{account}`.
        package var path: String
    }

    let router: Router<MoatRequestContext>
    package private(set) var entries: [Entry] = []

    init(router: Router<MoatRequestContext>) {
        self.router = router
    }

    typealias Handler = @Sendable (Request, MoatRequestContext) async throws -> Response

    /// `path` uses Hummingbird's `:name` parameters.
    func on(_ method: HTTPRequest.Method, _ path: String, use handler: @escaping Handler) {
        router.on(RouterPath(path), method: method) { request, context in try await handler(request, context) }
        let openAPIPath = path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
        entries.append(Entry(method: method.rawValue.lowercased(), path: "/" + openAPIPath))
    }
}
