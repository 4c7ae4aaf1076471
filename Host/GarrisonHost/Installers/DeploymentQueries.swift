import Foundation

/// A deployment link's row as the list shows it.
struct DeploymentRow: Sendable {
    let id: Int
    let uid: String
    let clientID: Int
    let clientName: String
    let siteID: Int
    let siteName: String
    let monitoringType: String
    let goarch: String
    let expiry: String
    let installFlags: JSON
    let created: String

    init(_ row: PGRow) {
        id = row.int("id")
        uid = row.string("uid")
        clientID = row.int("client_id")
        clientName = row.string("client_name")
        siteID = row.int("site_id")
        siteName = row.string("site_name")
        monitoringType = row.string("mon_type")
        goarch = row.string("goarch")
        expiry = row.string("expiry")
        installFlags = JSON.fromDatabase(row.optionalString("install_flags"), fallback: [:])
        created = row.string("created_time")
    }

    /// Tactical RMM's deployment object.
    var json: JSON {
        [
            "id": .init(id), "uid": .init(uid), "client_id": .init(clientID), "client_name": .init(clientName), "site_id": .init(siteID),
            "site_name": .init(siteName), "mon_type": .init(monitoringType), "arch": .init(goarch), "expiry": .init(expiry),
            "install_flags": installFlags, "created": .init(created),
        ]
    }
}

/// What an anonymous deploy link needs to mint its token and write its script.
struct DeploymentLink: Sendable {
    let id: Int
    let siteID: Int
    let clientID: Int
    let monitoringType: String
    let goarch: String
    let expiry: Date
    let installFlags: JSON
    let createdBy: Int
    let valid: Bool

    init(_ row: PGRow) {
        id = row.int("id")
        siteID = row.int("site_id")
        clientID = row.int("client_id")
        monitoringType = row.string("mon_type")
        goarch = row.string("goarch")
        expiry = Date(timeIntervalSince1970: row.double("expiry_epoch"))
        installFlags = JSON.fromDatabase(row.optionalString("install_flags"), fallback: [:])
        createdBy = row.int("created_by")
        valid = row.bool("valid")
    }
}

/// The SQL of installers: sites as install targets and deployment links.
enum DeploymentQueries {
    /// The client of `site`, nil when there is no such site.
    static func clientOf(site: Int, _ pool: DatabasePool) async throws -> Int? {
        try await pool.query("SELECT client_id FROM sites WHERE id = $1", [String(site)]).first?.int("client_id")
    }

    static func visible(_ pool: DatabasePool, _ scope: ObjectScope) async throws -> [DeploymentRow] {
        var sql =
            "SELECT d.*, s.name AS site_name, s.client_id, c.name AS client_name FROM deployments d JOIN sites s ON s.id = d.site_id JOIN clients c ON c.id = s.client_id"
        var params: [String?] = []
        if let condition = scope.sqlCondition(siteColumn: "s.id", clientColumn: "s.client_id", nextParameter: 1) {
            sql += " WHERE \(condition.sql)"
            params = condition.params
        }
        return try await pool.query(sql + " ORDER BY d.id", params).rows.map(DeploymentRow.init)
    }

    /// A new link; its id and uid.
    static func insert(
        _ pool: DatabasePool, site: Int, type: String, goarch: String, expiry: Date, flags: JSON, by user: Int
    ) async throws -> (id: Int, uid: String) {
        let row = try await pool.query(
            """
            INSERT INTO deployments (uid, site_id, mon_type, goarch, expiry, install_flags, created_by)
            VALUES (gen_random_uuid(), $1, $2, $3, $4::timestamptz, $5::jsonb, $6) RETURNING id, uid
            """, [String(site), type, goarch, SQLTime.text(expiry), flags.databaseText, String(user)]
        ).first!
        return (row.int("id"), row.string("uid"))
    }

    /// Where link `id` installs: (client, site), nil when there is no such link.
    static func place(_ pool: DatabasePool, id: Int) async throws -> (client: Int, site: Int)? {
        try await pool.query("SELECT s.id AS site_id, s.client_id FROM deployments d JOIN sites s ON s.id = d.site_id WHERE d.id = $1", [String(id)])
            .first.map { ($0.int("client_id"), $0.int("site_id")) }
    }

    static func delete(_ pool: DatabasePool, id: Int) async throws {
        try await pool.query("DELETE FROM deployments WHERE id = $1", [String(id)])
    }

    /// The link with random `uid`, expired or not; nil when there is none.
    static func link(_ pool: DatabasePool, uid: String) async throws -> DeploymentLink? {
        try await pool.query(
            """
            SELECT d.id, d.site_id, s.client_id, d.mon_type, d.goarch, extract(epoch FROM d.expiry) AS expiry_epoch, d.install_flags, d.created_by, d.expiry > now() AS valid
            FROM deployments d JOIN sites s ON s.id = d.site_id WHERE d.uid = $1::uuid
            """, [uid]
        ).first.map(DeploymentLink.init)
    }
}
