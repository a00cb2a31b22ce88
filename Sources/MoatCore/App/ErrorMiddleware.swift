import Hummingbird
import Logging
import MoatModel
import NIOCore

/// Turns every error into the API's JSON error shape. Anything that is not a known error is a
/// bug: it is logged and answered with a 500 that leaks nothing.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as ValidationError {
            return try APIError(error).response(from: request, context: context)
        } catch is NIOTooManyBytesError {
            return try APIError(.contentTooLarge, code: "body_too_large", "the request body is larger than 1 MiB")
                .response(from: request, context: context)
        } catch let error as HTTPError {
            let code: String
            let message: String
            switch error.status {
            case .notFound:
                code = "not_found"
                message = "no such route: \(request.method) \(request.uri.path)"
            case .methodNotAllowed:
                code = "method_not_allowed"
                message = "\(request.method) is not allowed on \(request.uri.path)"
            default:
                code = error.status.code < 500 ? "bad_request" : "internal"
                message = error.body ?? error.status.reasonPhrase
            }
            return try APIError(error.status, code: code, message).response(from: request, context: context)
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            return try APIError(.internalServerError, code: "internal", "internal error; the server log has the details")
                .response(from: request, context: context)
        }
    }
}
