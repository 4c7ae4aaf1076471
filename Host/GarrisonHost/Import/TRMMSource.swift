import Foundation

/// A Tactical RMM database opened read-only: one REPEATABLE READ READ ONLY transaction, so
/// every table is read from the same snapshot and nothing can be written to it
/// (docs/switching-from-tactical-rmm.md, "What the import reads").
final class TRMMSource: @unchecked Sendable {
    typealias Row = [String: JSON]

    /// Releases whose schema the importer reads: the latest migration of each app that
    /// changed between them (docs/switching-from-tactical-rmm.md, "Supported versions").
    static let supported = "Tactical RMM 1.2.0 to 1.5.1"
    static let migrationRange: [String: ClosedRange<Int>] = [
        "accounts": 38...42, "agents": 61...62, "checks": 33...34, "core": 49...53,
        "clients": 24...24, "scripts": 20...20, "automation": 9...9, "alerts": 14...14, "autotasks": 41...41,
    ]

    let connection: PGConnection
    private(set) var version = ""
    private(set) var latest: [String: Int] = [:]

    init(conninfo: String) throws {
        do { connection = try PGConnection(conninfo: conninfo) } catch {
            throw TRMMImportError("cannot connect to the Tactical RMM database: \(error)")
        }
        try connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    }

    deinit { _ = try? connection.query("ROLLBACK") }

    /// Reads django_migrations and refuses anything that is not a supported release.
    func detectVersion() throws {
        let present = try connection.query(
            """
            SELECT to_regclass('django_migrations') IS NOT NULL AS django, to_regclass('agents_agent') IS NOT NULL AS agents,
                   to_regclass('authtoken_token') IS NOT NULL AS tokens, to_regclass('clients_client') IS NOT NULL AS clients
            """
        ).first
        guard let present, present.bool("django") else {
            throw TRMMImportError(
                "this is not a Tactical RMM database: it has no django_migrations table (is --from the Tactical RMM server's database, usually named tacticalrmm?)"
            )
        }
        guard present.bool("agents"), present.bool("tokens"), present.bool("clients") else {
            throw TRMMImportError(
                "this is a Django database but not Tactical RMM's: agents_agent, authtoken_token or clients_client is missing")
        }
        for row in try connection.query("SELECT app, max(name) AS latest FROM django_migrations GROUP BY app").rows {
            let number = Int(row.string("latest").prefix { $0.isNumber }) ?? 0
            latest[row.string("app")] = number
        }
        for app in Self.migrationRange.keys.sorted() {
            guard let range = Self.migrationRange[app] else { continue }
            guard let number = latest[app] else {
                throw TRMMImportError(
                    "this Tactical RMM database has no migrations of app \(app); supported: \(Self.supported)")
            }
            if number < range.lowerBound {
                throw TRMMImportError(
                    "this Tactical RMM database is older than 1.2.0 (app \(app) is at migration \(number), 1.2.0 has \(range.lowerBound)); upgrade Tactical RMM to 1.5.1 first, then import. Supported: \(Self.supported)"
                )
            }
            if number > range.upperBound {
                throw TRMMImportError(
                    "this Tactical RMM database is newer than 1.5.1 (app \(app) is at migration \(number), 1.5.1 has \(range.upperBound)); its schema has not been checked. Supported: \(Self.supported)"
                )
            }
        }
        switch latest["accounts"] ?? 0 {
        case 38: version = "1.2.x"
        case 39: version = "1.3.x"
        case 40: version = "1.4.x"
        default: version = "1.5.x"
        }
    }

    /// Every row of `sql` as a JSON object (PostgreSQL's own to_jsonb: timestamps as ISO
    /// strings, arrays as arrays, jsonb as itself).
    func rows(_ sql: String) throws -> [Row] {
        let result = try connection.query("SELECT coalesce(jsonb_agg(to_jsonb(import_row)), '[]'::jsonb)::text AS rows FROM (\(sql)) import_row")
        let parsed = try JSON.parse(Data(result.first?.string("rows").utf8 ?? "[]".utf8))
        return (parsed.arrayValue ?? []).map { $0.objectValue ?? [:] }
    }

    func hasTable(_ name: String) throws -> Bool {
        try connection.query("SELECT to_regclass($1) IS NOT NULL AS present", [name]).first?.bool("present") ?? false
    }

    func count(_ table: String) throws -> Int {
        guard try hasTable(table) else { return 0 }
        return try connection.query("SELECT count(*) AS n FROM \(table)").first?.int("n") ?? 0
    }

    /// A name for the source that does not carry its password.
    static func describe(_ conninfo: String) -> String {
        if let url = URLComponents(string: conninfo), let host = url.host {
            return "postgresql://\(url.user.map { "\($0)@" } ?? "")\(host)\(url.port.map { ":\($0)" } ?? "")\(url.path)"
        }
        return conninfo.split(separator: " ").filter { !$0.hasPrefix("password=") }.joined(separator: " ")
    }
}

public struct TRMMImportError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
