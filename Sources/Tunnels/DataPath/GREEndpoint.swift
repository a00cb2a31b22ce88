import Foundation
import LinuxNet
import Synchronization

/// The customer-router side of Moat's tunnels (`moat gre-endpoint`): one TUN device per tunnel,
/// carrying the customer's inside address; whatever the kernel routes into a device goes out
/// encapsulated to that tunnel's remote; what arrives is decapsulated into its device, so the
/// kernel forwards it (health probes included: reply-style probes only need forwarding).
package final class GREEndpoint: Sendable {
    package struct TunnelSpec: Equatable, Sendable {
        package var name: String
        package var local: UInt32
        package var remote: UInt32
        package var ttl: UInt8

        package init(name: String, local: UInt32, remote: UInt32, ttl: UInt8 = 64) {
            self.name = name
            self.local = local
            self.remote = remote
            self.ttl = ttl
        }
    }

    package let counters = GRECounters()
    private let devices: [TunDevice]
    private let specs: [TunnelSpec]
    private let byOuter: [UInt64: Int]
    private let gre: GRESocket
    private let running = Atomic<Bool>(true)

    package init(tunnels: [TunnelSpec]) throws {
        specs = tunnels
        devices = try tunnels.map { try TunDevice(name: $0.name) }
        gre = try GRESocket(counters: counters)
        var byOuter: [UInt64: Int] = [:]
        for (index, spec) in tunnels.enumerated() { byOuter[ForwardingTable.outerKey(source: spec.remote, destination: spec.local)] = index }
        self.byOuter = byOuter
        for index in tunnels.indices {
            let thread = Thread { [unowned self] in self.encapsulationLoop(index) }
            thread.name = "gre-\(tunnels[index].name)"
            thread.start()
        }
        let thread = Thread { [unowned self] in self.decapsulationLoop() }
        thread.name = "gre-decap"
        thread.start()
    }

    package func stop() { running.store(false, ordering: .relaxed) }

    private var isRunning: Bool { running.load(ordering: .relaxed) }

    private func encapsulationLoop(_ index: Int) {
        let spec = specs[index]
        let device = devices[index]
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_600, alignment: 8)
        defer { buffer.deallocate() }
        let inner = UnsafeMutableRawBufferPointer(rebasing: buffer[GREPacket.overhead...])
        while isRunning {
            guard let count = try? device.read(into: inner), count > 0 else { continue }
            gre.send(buffer, innerLength: count, innerIsIPv6: inner[0] >> 4 == 6, source: spec.local, destination: spec.remote, ttl: spec.ttl)
        }
    }

    private func decapsulationLoop() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_600, alignment: 8)
        defer { buffer.deallocate() }
        var tunnel = 0
        while isRunning {
            let received = gre.receive(into: buffer) { source, destination in
                guard let index = byOuter[ForwardingTable.outerKey(source: source, destination: destination)] else { return false }
                tunnel = index
                return true
            }
            guard let (inner, _) = received else { continue }
            gre.deliver(inner, to: devices[tunnel])
        }
    }
}
