import MoatModel

/// The two sources of origin data the operator may load.
package enum OriginDataKind: String, CaseIterable, Sendable {
    case roas, irr

    /// `ROA data`, `IRR data`.
    var noun: String { self == .roas ? "ROA data" : "IRR data" }
}

/// Parsed origin data, ready to replace what is stored.
package enum OriginDataUpload: Sendable {
    case roas([ROA])
    case irr([IRRRoute])

    package var kind: OriginDataKind {
        switch self {
        case .roas: return .roas
        case .irr: return .irr
        }
    }

    var prefixes: [CIDR] {
        switch self {
        case .roas(let roas): return roas.map(\.prefix)
        case .irr(let routes): return routes.map(\.prefix)
        }
    }
}
