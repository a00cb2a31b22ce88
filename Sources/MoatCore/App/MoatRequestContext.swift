import Hummingbird
import MoatModel

/// The request context: Hummingbird's storage plus the authenticated caller.
package struct MoatRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package var principal: Principal?

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.principal = nil
    }

    /// IP lists may carry 100,000 entries; every other route reads at most 1 MiB.
    package var maxUploadSize: Int { Request.maximumListBodySize }

    /// The caller, or 401.
    package func requirePrincipal() throws -> Principal {
        guard let principal else { throw APIError.unauthorized }
        return principal
    }

    /// Operator-only routes.
    package func requireOperator() throws -> Principal {
        let principal = try requirePrincipal()
        guard principal.isOperator else { throw APIError.forbidden("this route needs the operator token") }
        return principal
    }

    /// Operator-only routes inside an account: another account's token still gets 404.
    package func requireOperator(of accountID: String) throws -> Principal {
        _ = try requireAccess(to: accountID, write: false)
        return try requireOperator()
    }

    /// Account routes: the operator, or a token of this very account. Another account's token
    /// gets 404, as if the account did not exist, so IDs cannot be probed.
    package func requireAccess(to accountID: String, write: Bool) throws -> Principal {
        let principal = try requirePrincipal()
        switch principal {
        case .operator:
            return principal
        case .account(let id, _, let canWrite):
            guard id == accountID else { throw APIError.notFound("account", accountID) }
            guard canWrite || !write else { throw APIError.forbidden("this token is read-only") }
            return principal
        case .edge:
            throw APIError.forbidden("edge credentials only reach /v1/edge")
        }
    }

    package func requireEdge() throws -> (id: String, location: String) {
        guard case .edge(let id, let location)? = principal else {
            if principal == nil { throw APIError.unauthorized }
            throw APIError.forbidden("this route needs an edge credential")
        }
        return (id, location)
    }
}
