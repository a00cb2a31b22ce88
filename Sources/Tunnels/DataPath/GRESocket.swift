import LinuxNet

/// The raw GRE socket as both ends of a tunnel use it: send an inner packet encapsulated, and
/// receive the next well-formed GRE packet from a known tunnel, counting everything else.
struct GRESocket: Sendable {
    let socket: RawIPv4Socket
    let counters: GRECounters

    init(counters: GRECounters) throws {
        socket = try RawIPv4Socket(ipProtocol: Int32(IPv4Header.protocolGRE), headerIncluded: true)
        self.counters = counters
    }

    /// Encapsulates the `innerLength` bytes at `buffer[GREPacket.overhead...]` and sends them.
    /// Probes are counted apart, so only traffic counts as encapsulated.
    @discardableResult
    func send(_ buffer: UnsafeMutableRawBufferPointer, innerLength: Int, innerIsIPv6: Bool, source: UInt32, destination: UInt32,
              ttl: UInt8, countAsTraffic: Bool = true) -> Bool {
        let length = GREPacket.encapsulate(in: buffer, innerLength: innerLength, innerIsIPv6: innerIsIPv6,
                                           source: source, destination: destination, ttl: ttl)
        do {
            try socket.send(UnsafeRawBufferPointer(rebasing: buffer[0..<length]), to: destination)
        } catch {
            counters.sendErrors.add(1, ordering: .relaxed)
            return false
        }
        if countAsTraffic {
            counters.encapsulated.add(1, ordering: .relaxed)
            counters.encapsulatedBytes.add(UInt64(innerLength), ordering: .relaxed)
        }
        return true
    }

    /// Waits up to the poll timeout for a packet; returns the inner packet and whether it is
    /// IPv6 when one arrived from a tunnel `known` accepts (by outer source and destination).
    /// Malformed GRE and unknown tunnels are dropped and counted.
    func receive(into buffer: UnsafeMutableRawBufferPointer, known: (_ source: UInt32, _ destination: UInt32) -> Bool)
        -> (inner: UnsafeRawBufferPointer, isIPv6: Bool)? {
        guard let count = try? socket.receive(into: buffer), count > 0 else { return nil }
        let packet = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
        switch GREPacket.decapsulate(packet) {
        case .failure(let reason):
            counters.drop(reason)
            return nil
        case .success(let decapsulated):
            guard known(decapsulated.outerSource, decapsulated.outerDestination) else {
                counters.drop(.unknownTunnel)
                return nil
            }
            let end = decapsulated.innerOffset + decapsulated.innerLength
            return (UnsafeRawBufferPointer(rebasing: packet[decapsulated.innerOffset..<end]), decapsulated.isIPv6)
        }
    }

    /// Hands a decapsulated packet to the kernel through `device`.
    func deliver(_ inner: UnsafeRawBufferPointer, to device: TunDevice) {
        do {
            try device.write(inner)
            counters.decapsulated.add(1, ordering: .relaxed)
            counters.decapsulatedBytes.add(UInt64(inner.count), ordering: .relaxed)
        } catch {
            counters.sendErrors.add(1, ordering: .relaxed)
        }
    }
}
