/// A message that cannot be put on the wire as asked: the caller built something the
/// format cannot carry (too long, wrong address family). Nothing is sent.
package struct BGPEncodeError: Error, Hashable, Sendable, CustomStringConvertible {
    package var code: Code
    package var detail: String

    package init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let name: String
        private init(_ name: String) { self.name = name }
        package var description: String { name }

        /// Longer than 4,096 bytes (RFC 4271 §4.1); split the UPDATE.
        package static let messageTooLong = Code("message_too_long")
        /// A path attribute value longer than 65,535 bytes, or NOTIFICATION data too long.
        package static let fieldTooLong = Code("field_too_long")
        /// OPEN optional parameters longer than 255 bytes.
        package static let optionalParametersTooLong = Code("optional_parameters_too_long")
        /// A prefix or next hop of the wrong address family for where it is written.
        package static let addressFamilyMismatch = Code("address_family_mismatch")
        /// MP_REACH_NLRI / MP_UNREACH_NLRI for a family whose NLRI Moat does not encode.
        package static let unsupportedAddressFamily = Code("unsupported_address_family")
    }

    package var description: String { "\(code): \(detail)" }
}
