import Foundation
import GRDB
import MoatModel

/// A BGP peer row: the peer as JSON (with its MD5 key), indexed by location and name.
struct BGPPeerRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "bgp_peers"
    var id: String
    var location: String
    var name: String
    var body: Data

    init(_ peer: BGPPeer) throws {
        id = peer.id
        location = peer.location
        name = peer.name
        body = try MoatJSON.encoder().encode(peer)
    }

    func peer() throws -> BGPPeer { try MoatJSON.decoder().decode(BGPPeer.self, from: body) }
}

extension SQLiteStore {
    package func createBGPPeer(location: String, _ spec: BGPPeerSpec, actor: String) async throws -> Written<BGPPeer> {
        let change = Change(actor: actor, action: "bgp_peer.create", summary: "\(spec.name) \(spec.peerAddress) AS\(spec.peerASN)", affectsConfig: true)
        return try await write(change) { db, now in
            try Self.checkPeer(db, location: location, spec, excluding: nil)
            let peer = BGPPeer(location: location, spec: spec, at: now)
            try BGPPeerRecord(peer).insert(db)
            return (peer, peer.id)
        }
    }

    package func bgpPeers(location: String) async throws -> [BGPPeer] {
        try await pool.read { db in
            guard try Location.exists(db, key: location) else { throw APIError.notFound("location", location) }
            return try BGPPeerRecord.filter(Column("location") == location).order(Column("name")).fetchAll(db).map { try $0.peer() }
        }
    }

    package func bgpLocalASNs() async throws -> Set<UInt32> {
        try await pool.read { db in Set(try BGPPeerRecord.fetchAll(db).map { try $0.peer().localASN }) }
    }

    package func bgpPeer(location: String, id: String) async throws -> BGPPeer {
        try await pool.read { db in try Self.peer(db, location: location, id: id) }
    }

    package func updateBGPPeer(location: String, id: String, actor: String, _ change: @Sendable (inout BGPPeerSpec) throws -> Void) async throws -> Written<BGPPeer> {
        let current = try await bgpPeer(location: location, id: id)
        var spec = current.spec
        try change(&spec)
        let updated = spec
        let describe = Change(actor: actor, action: "bgp_peer.update", objectID: id, summary: "\(updated.name) \(updated.peerAddress) AS\(updated.peerASN)", affectsConfig: true)
        return try await write(describe) { db, now in
            var peer = try Self.peer(db, location: location, id: id)
            try Self.checkPeer(db, location: location, updated, excluding: id)
            peer = BGPPeer(id: peer.id, location: location, spec: updated, at: peer.createdAt)
            peer.updatedAt = now
            try BGPPeerRecord(peer).update(db)
            return (peer, id)
        }
    }

    package func deleteBGPPeer(location: String, id: String, actor: String) async throws -> Written<Void> {
        try await write(Change(actor: actor, action: "bgp_peer.delete", objectID: id, affectsConfig: true)) { db, _ in
            _ = try Self.peer(db, location: location, id: id)
            _ = try BGPPeerRecord.deleteOne(db, key: id)
            return ((), id)
        }
    }

    private static func peer(_ db: Database, location: String, id: String) throws -> BGPPeer {
        guard try Location.exists(db, key: location) else { throw APIError.notFound("location", location) }
        guard let record = try BGPPeerRecord.fetchOne(db, key: id), record.location == location else { throw APIError.notFound("BGP peer", id) }
        return try record.peer()
    }

    /// The location exists, the edge (if any) is one of its edges, the name is free, and no
    /// other peer of the same edges has the same address (a router has one session per server).
    private static func checkPeer(_ db: Database, location: String, _ spec: BGPPeerSpec, excluding id: String?) throws {
        guard try Location.exists(db, key: location) else { throw APIError.notFound("location", location) }
        if let edge = spec.edge {
            guard let record = try EdgeRecord.fetchOne(db, key: edge), record.location == location else {
                throw APIError.invalid("edge '\(edge)' is not an edge of location '\(location)'", field: "edge")
            }
        }
        let others = try BGPPeerRecord.filter(Column("location") == location).fetchAll(db).filter { $0.id != id }.map { try $0.peer() }
        if others.contains(where: { $0.name == spec.name }) {
            throw APIError.conflict("location '\(location)' already has a BGP peer named '\(spec.name)'", field: "name")
        }
        if let clash = others.first(where: { $0.peerAddress == spec.peerAddress && ($0.edge == nil || spec.edge == nil || $0.edge == spec.edge) }) {
            throw APIError.conflict("BGP peer '\(clash.name)' already peers with \(spec.peerAddress) from the same edges", field: "peer_address")
        }
    }
}
