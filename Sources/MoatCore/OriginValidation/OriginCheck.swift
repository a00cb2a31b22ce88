import MoatModel

/// The operator's ROA and IRR data around one prefix; nil where none is configured.
package struct OriginData: Sendable {
    package var roas: ROASet?
    package var irr: IRRRouteSet?

    package init(roas: ROASet? = nil, irr: IRRRouteSet? = nil) {
        self.roas = roas
        self.irr = irr
    }
}

/// What each configured source says about a prefix and its origins.
package struct OriginAssessment: Equatable, Sendable {
    package var roa: OriginVerdict?
    package var irr: OriginVerdict?

    /// RPKI "not found" is accepted (most networks accept routes without ROAs, and the operator
    /// still approves every prefix); RPKI invalid and anything short of IRR valid are refused,
    /// as upstreams filter on IRR.
    package var rejections: [String] { [roa, irr].compactMap { $0 }.filter(\.isInvalid).map(\.reason) }
    package var isAccepted: Bool { rejections.isEmpty }
}

/// Checks a prefix's origin against the operator's ROA and IRR data, where configured: on
/// onboarding, when `origin_asn` changes and when the operator approves.
package struct OriginCheck: Sendable {
    /// The ASes that originate a prefix that has no `origin_asn`. Empty when none is known: data
    /// that covers such a prefix then refuses it and asks for `origin_asn`.
    package var defaultOrigins: Set<UInt32>

    package init(defaultOrigins: Set<UInt32>) {
        self.defaultOrigins = defaultOrigins
    }

    /// The ASes that will announce `prefix`.
    package func origins(of prefix: Prefix) -> Set<UInt32> {
        prefix.originASN.map { [$0] } ?? defaultOrigins
    }

    package func assess(_ cidr: CIDR, origins: Set<UInt32>, data: OriginData) -> OriginAssessment {
        OriginAssessment(roa: data.roas?.validate(cidr, origins: origins), irr: data.irr?.validate(cidr, origins: origins))
    }

    /// Refuses `prefix` with 422 `origin_invalid` (field `origin_asn`) and every reason when a
    /// configured source does not authorise its origin.
    package func verify(_ prefix: Prefix, data: OriginData) throws(APIError) {
        let announcers = origins(of: prefix)
        let rejections = assess(prefix.cidr, origins: announcers, data: data).rejections
        guard !rejections.isEmpty else { return }
        let message: String
        if announcers.isEmpty {
            message = "\(prefix.cidr) has no origin AS: \(rejections.joined(separator: "; ")); set origin_asn to the AS that announces it"
        } else {
            let names = announcers.sorted().map(ASNumber.text).joined(separator: ", ")
            message = "\(prefix.cidr) from \(names) fails the operator's origin checks: \(rejections.joined(separator: "; "))"
        }
        throw APIError(.unprocessableContent, code: "origin_invalid", message, field: "origin_asn")
    }
}
