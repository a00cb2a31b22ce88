/// OPEN (RFC 4271 §4.2), with its capabilities (RFC 5492).
///
/// The decoder checks what the format itself requires (version 4, parameter lengths,
/// capability lengths). What depends on configuration (peer AS, hold time, BGP identifier)
/// is checked by the session when the OPEN arrives (`OpenNegotiation`).
package struct OpenMessage: Hashable, Sendable {
    /// RFC 6793 §9: the 2-octet stand-in for a 4-octet AS number.
    package static let asTrans: UInt16 = 23456

    package var version: UInt8
    /// The 2-octet "My Autonomous System" field: AS_TRANS for a 4-octet AS.
    package var myAutonomousSystem: UInt16
    /// Seconds; 0 (no keepalives) or at least 3.
    package var holdTime: UInt16
    /// The BGP identifier, an IPv4-address-shaped 32-bit number (RFC 6286).
    package var identifier: UInt32
    package var capabilities: [Capability]

    package init(version: UInt8 = 4, myAutonomousSystem: UInt16, holdTime: UInt16, identifier: UInt32,
                 capabilities: [Capability]) {
        self.version = version
        self.myAutonomousSystem = myAutonomousSystem
        self.holdTime = holdTime
        self.identifier = identifier
        self.capabilities = capabilities
    }

    /// An OPEN for `autonomousSystem`: My AS is AS_TRANS when it does not fit in 2 octets.
    /// The 4-octet AS capability is the caller's to include.
    package init(autonomousSystem: UInt32, holdTime: UInt16, identifier: UInt32, capabilities: [Capability]) {
        let field = autonomousSystem > UInt32(UInt16.max) ? Self.asTrans : UInt16(autonomousSystem)
        self.init(myAutonomousSystem: field, holdTime: holdTime, identifier: identifier, capabilities: capabilities)
    }

    /// The value of the 4-octet AS capability, if sent.
    package var fourOctetAS: UInt32? {
        for case .fourOctetAS(let asn) in capabilities { return asn }
        return nil
    }

    /// The sender's AS: the 4-octet capability's value, else the My AS field (RFC 6793 §4.1).
    package var autonomousSystem: UInt32 { fourOctetAS ?? UInt32(myAutonomousSystem) }

    /// The families of the multiprotocol capabilities, in the order sent.
    package var multiprotocolFamilies: [AddressFamily] {
        capabilities.compactMap { if case .multiprotocol(let family) = $0 { return family } else { return nil } }
    }

    package var supportsRouteRefresh: Bool { capabilities.contains(.routeRefresh) }

    package var gracefulRestart: GracefulRestartCapability? {
        for case .gracefulRestart(let restart) in capabilities { return restart }
        return nil
    }
}

extension OpenMessage {
    /// Body: version (1), My AS (2), hold time (2), identifier (4), optional parameters
    /// length (1), optional parameters. RFC 9072's extended parameters length is accepted.
    static func decode(body: [UInt8], lengthField: UInt16) throws(BGPDecodeError) -> OpenMessage {
        var reader = ByteReader(body)
        // The header check guarantees the 10 fixed octets.
        guard let version = reader.u8(), let myAS = reader.u16(), let holdTime = reader.u16(),
              let identifier = reader.u32(), let parametersLength = reader.u8()
        else { throw BGPDecodeError(.badMessageLength, data: .u16(lengthField), detail: "OPEN too short") }
        // RFC 4271 §6.2: the data is the largest version we support, on 2 octets.
        guard version == 4 else {
            throw BGPDecodeError(.unsupportedVersionNumber, data: [0, 4], detail: "BGP version \(version)")
        }
        var extended = false
        if parametersLength == 255, reader.remaining >= 3, body[reader.offset] == 255 {
            // RFC 9072 §2: a 255 marker, then a 2-octet length, then 2-octet parameter lengths.
            _ = reader.u8()
            extended = true
            guard let length = reader.u16(), Int(length) == reader.remaining else {
                throw BGPDecodeError(.badMessageLength, data: .u16(lengthField), detail: "extended optional parameters length")
            }
        } else {
            guard Int(parametersLength) == reader.remaining else {
                throw BGPDecodeError(.badMessageLength, data: .u16(lengthField),
                                     detail: "optional parameters length \(parametersLength), \(reader.remaining) bytes follow")
            }
        }
        var capabilities: [Capability] = []
        while !reader.isAtEnd {
            guard let type = reader.u8(), let length = extended ? reader.u16() : reader.u8().map(UInt16.init),
                  var parameter = reader.sub(Int(length))
            else { throw BGPDecodeError(.malformedOpen, detail: "optional parameter overruns the message") }
            // RFC 5492: the Capabilities parameter is type 2; type 1 (authentication) is deprecated.
            guard type == 2 else {
                throw BGPDecodeError(.unsupportedOptionalParameter, detail: "optional parameter type \(type)")
            }
            while !parameter.isAtEnd {
                guard let code = parameter.u8(), let length = parameter.u8(), let value = parameter.read(Int(length)) else {
                    throw BGPDecodeError(.malformedOpen, detail: "capability overruns its optional parameter")
                }
                capabilities.append(try Capability.decode(code: code, value: value))
            }
        }
        return OpenMessage(version: version, myAutonomousSystem: myAS, holdTime: holdTime, identifier: identifier,
                           capabilities: capabilities)
    }

    /// All capabilities go into one Capabilities parameter (as BIRD sends them).
    func encode(into bytes: inout [UInt8]) throws(BGPEncodeError) {
        var parameter: [UInt8] = []
        for capability in capabilities {
            let value = capability.value
            guard value.count <= 255 else {
                throw BGPEncodeError(.optionalParametersTooLong, "capability \(capability.code) of \(value.count) bytes")
            }
            parameter.append(capability.code)
            parameter.append(UInt8(value.count))
            parameter.append(contentsOf: value)
        }
        guard parameter.count <= 253 else {
            throw BGPEncodeError(.optionalParametersTooLong, "\(parameter.count) bytes of capabilities")
        }
        bytes.append(version)
        bytes.put16(myAutonomousSystem)
        bytes.put16(holdTime)
        bytes.put32(identifier)
        if parameter.isEmpty {
            bytes.append(0)
        } else {
            bytes.append(UInt8(parameter.count + 2))
            bytes.append(2)
            bytes.append(UInt8(parameter.count))
            bytes.append(contentsOf: parameter)
        }
    }
}
