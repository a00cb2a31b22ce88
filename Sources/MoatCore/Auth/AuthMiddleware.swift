import Hummingbird

/// Resolves `Authorization: Bearer …` to a principal. Routes decide what the principal may do:
/// a missing, malformed or unknown token leaves the principal empty, which the routes that need
/// one answer with 401, while public routes (health, metrics) still answer.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = MoatRequestContext
    let store: any Store

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            let secret = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
            if TokenSecret.looksValid(secret) {
                context.principal = try await store.principal(tokenHash: TokenSecret.hash(secret))
            }
        }
        return try await next(request, context)
    }
}
