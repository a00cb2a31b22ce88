import Hummingbird

/// Resolves `Authorization: Bearer …` to a principal. Routes decide what the principal may do;
/// a missing or unknown token leaves the principal empty (→ 401 where a token is needed).
struct AuthMiddleware: RouterMiddleware {
    typealias Context = MoatRequestContext
    let store: any Store

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            guard header.hasPrefix("Bearer ") else { throw APIError.unauthorized }
            let secret = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
            guard TokenSecret.looksValid(secret), let principal = try await store.principal(tokenHash: TokenSecret.hash(secret)) else {
                throw APIError.unauthorized
            }
            context.principal = principal
        }
        return try await next(request, context)
    }
}
