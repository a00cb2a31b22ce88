import Foundation
import HTTPTypes
import Hummingbird
import MoatModel

/// `/v1/locations/{location}/bgp-peers`: the upstream routers of a location. Operator only,
/// reads included: the config names the network's routers and holds MD5 keys (never shown).
struct BGPPeersController {
    let store: any Store

    func register(on api: APIRouter) {
        api.on(.post, "/v1/locations/:location/bgp-peers") { request, context in
            let principal = try context.requireOperator()
            let spec = try BGPPeerSpec(json: try await request.jsonBody())
            let written = try await store.createBGPPeer(location: try context.parameters.require("location"), spec, actor: principal.actor)
            return try JSONResponse.make(status: .created, written.value.redacted, version: written.version)
        }
        api.on(.get, "/v1/locations/:location/bgp-peers") { _, context in
            _ = try context.requireOperator()
            let peers = try await store.bgpPeers(location: try context.parameters.require("location"))
            return try JSONResponse.make(ItemList(items: peers.map(\.redacted)))
        }
        api.on(.get, "/v1/locations/:location/bgp-peers/:peer") { _, context in
            _ = try context.requireOperator()
            let peer = try await store.bgpPeer(location: try context.parameters.require("location"), id: try context.parameters.require("peer"))
            return try JSONResponse.make(peer.redacted)
        }
        api.on(.patch, "/v1/locations/:location/bgp-peers/:peer") { request, context in
            let principal = try context.requireOperator()
            let body = try await request.jsonBody()
            let written = try await store.updateBGPPeer(location: try context.parameters.require("location"), id: try context.parameters.require("peer"),
                                                        actor: principal.actor) { spec in try spec.apply(patch: body) }
            return try JSONResponse.make(written.value.redacted, version: written.version)
        }
        api.on(.delete, "/v1/locations/:location/bgp-peers/:peer") { _, context in
            let principal = try context.requireOperator()
            let written = try await store.deleteBGPPeer(location: try context.parameters.require("location"), id: try context.parameters.require("peer"),
                                                        actor: principal.actor)
            return Response(status: .noContent, headers: [.moatConfigVersion: String(written.version)])
        }
    }
}
