import MoatModel

/// Who is calling, resolved from the bearer token.
package enum Principal: Equatable, Sendable {
    case `operator`(tokenID: String)
    case account(id: String, tokenID: String, canWrite: Bool)
    case edge(id: String, location: String)

    /// How the audit log names the caller.
    package var actor: String {
        switch self {
        case .operator(let tokenID): return "operator:\(tokenID)"
        case .account(_, let tokenID, _): return "token:\(tokenID)"
        case .edge(let id, _): return "edge:\(id)"
        }
    }

    package var isOperator: Bool { if case .operator = self { return true } else { return false } }
}
