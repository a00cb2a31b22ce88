import Foundation
import MoatModel
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// One app on one edge while it runs: its current config (replaced on hot reload without
/// touching open connections), origin selection, origin health, access, the connections it
/// holds, and where finished connections are reported.
package final class AppRuntime: Sendable {
    private struct State {
        var app: SpectrumApp
        var selector: OriginSelector
        var health: [OriginHealth]
        var access: AccessPolicy
        var random = SystemRandomNumberGenerator()
        var open: [ObjectIdentifier: Channel] = [:]
    }

    private let state: NIOLockedValueBox<State>
    package let report: @Sendable (ProxyEvent) -> Void
    /// UDP datagrams dropped: session table full, access refused, or too many queued.
    package let droppedDatagrams = Atomic<Int>(0)
    /// Connections and datagrams that reached a transparent socket on a port outside the app's
    /// range (someone dialled the socket's own port): refused.
    package let strays = Atomic<Int>(0)

    package init(app: SpectrumApp, report: @escaping @Sendable (ProxyEvent) -> Void) {
        state = NIOLockedValueBox(State(app: app, selector: OriginSelector(mode: app.loadBalancing, weights: app.origins.map(\.weight)),
                                        health: app.origins.map { _ in OriginHealth() },
                                        access: AccessPolicy(rules: app.ipRules, limits: app.sourceLimits)))
        self.report = report
    }

    package var app: SpectrumApp { state.withLockedValue { $0.app } }

    /// Takes a changed app (same protocol and ports): new rules, limits, origins and balancing
    /// apply to new connections; open ones carry on.
    package func update(_ app: SpectrumApp) {
        state.withLockedValue { state in
            let originsChanged = state.app.origins != app.origins
            if originsChanged || state.app.loadBalancing != app.loadBalancing {
                state.selector = OriginSelector(mode: app.loadBalancing, weights: app.origins.map(\.weight))
            }
            if originsChanged { state.health = app.origins.map { _ in OriginHealth() } }
            state.access.rules = app.ipRules
            state.access.limits = app.sourceLimits
            state.app = app
        }
    }

    package func admit(_ client: IPAddress) -> AccessPolicy.Verdict {
        state.withLockedValue { $0.access.admit(client, at: .now) }
    }

    package func release(_ client: IPAddress) {
        state.withLockedValue { $0.access.release(client) }
    }

    /// The origins to try for `client`, best first, with the port for edge port `port`.
    package func origins(for client: IPAddress, port: Int) -> [(index: Int, address: IPAddress, port: Int)] {
        state.withLockedValue { state in
            let healthy = state.health.map(\.healthy)
            let order = state.selector.order(client: client, healthy: healthy, random: &state.random)
            return order.map { ($0, state.app.origins[$0].address, state.app.origins[$0].port(for: port, listen: state.app.ports)) }
        }
    }

    /// A connect succeeded: it counts as a good check, and the origin has one more connection.
    package func connected(_ index: Int) {
        state.withLockedValue { $0.selector.opened(index) }
        recordCheck(index, success: true)
    }
    package func disconnected(_ index: Int) { state.withLockedValue { $0.selector.closed(index) } }

    /// A connect failed: passive health marking.
    package func failed(_ index: Int) { recordCheck(index, success: false) }

    /// Whether each origin is healthy, in the app's order.
    package var originHealth: [Bool] { state.withLockedValue { $0.health.map(\.healthy) } }

    package var noOriginHealthy: Bool { state.withLockedValue { !$0.health.contains(where: \.healthy) } }

    package func recordCheck(_ index: Int, success: Bool) {
        state.withLockedValue { state in
            if state.health.indices.contains(index) { state.health[index].record(success: success) }
        }
    }

    package func track(_ channel: Channel) { state.withLockedValue { $0.open[ObjectIdentifier(channel)] = channel } }
    package func untrack(_ channel: Channel) { state.withLockedValue { $0.open[ObjectIdentifier(channel)] = nil } }
    package var openConnections: Int { state.withLockedValue { $0.open.count } }

    /// Closes every open connection (after a drain).
    package func closeAll() {
        for channel in state.withLockedValue({ Array($0.open.values) }) { channel.close(promise: nil) }
    }
}
