import Logging

public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// Applies versioned migrations, each in its own transaction, under a PostgreSQL advisory
/// lock so that two hosts starting together never race. Re-running is a no-op.
public struct Migrator: Sendable {
    /// The advisory lock key: "garrison" folded into 63 bits, fixed forever.
    static let lockKey: Int64 = 0x6761_7272_6973_6F6E
    public let pool: DatabasePool
    public let logger: Logger

    public init(pool: DatabasePool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    /// Applies `migrations` to the ledger named `component` ("core" or "plugin:<name>"),
    /// optionally inside `schema`. With `role`, the schema and a LOGIN role owning it are
    /// created first if missing, and each migration runs on a connection that `login` opens
    /// as that role (PluginRoleLogin): a plugin's migrations can only touch what the plugin
    /// owns, and no RESET ROLE in them leads back to the host's role. Returns the versions
    /// applied now.
    @discardableResult
    public func migrate(
        component: String, schema: String? = nil, role: String? = nil,
        login: (@Sendable (PGConnection) throws -> String)? = nil, _ migrations: [Migration]
    ) async throws -> [Int] {
        let sorted = migrations.sorted { $0.version < $1.version }
        let logger = self.logger
        return try await pool.withConnection { connection in
            // Fast path, no lock: everything already in place (every restart, every reload).
            if try Self.upToDate(component: component, schema: schema, role: role, versions: sorted.map(\.version), on: connection) {
                return []
            }
            try connection.query("SELECT pg_advisory_lock($1)", [String(Self.lockKey)])
            defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [String(Self.lockKey)]) }
            try connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    component text NOT NULL,
                    version integer NOT NULL,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (component, version)
                )
                """)
            // A plugin's steps run on its own login, which records each in the ledger through
            // MigrationLedger's function, in the step's transaction.
            var own: PGConnection?
            if let role, let schema {
                try Self.ensureOwnedSchema(schema, role: role, on: connection)
                try MigrationLedger.admit(role: role, component: component, on: connection)
                guard let login else { throw StorageError("migrations for role \(role) need its login") }
                own = try PGConnection(conninfo: try login(connection))
            }
            let applied = Set(
                try connection.query("SELECT version FROM schema_migrations WHERE component = $1", [component]).rows.map {
                    $0.int("version")
                })
            var done: [Int] = []
            for migration in sorted where !applied.contains(migration.version) {
                let step = own ?? connection
                try step.query("BEGIN")
                do {
                    if let schema, own == nil { try step.query("SET LOCAL search_path TO \(quoteIdentifier(schema))") }
                    // The login's statement deadline is for db_query; a step may index a big table.
                    if own != nil { try step.query("SET LOCAL statement_timeout = 0") }
                    try step.execute(script: migration.sql)
                    if own != nil {
                        try step.query("SELECT \(MigrationLedger.record)($1, $2)", [String(migration.version), migration.name])
                    } else {
                        if schema != nil { try step.query("SET LOCAL search_path TO DEFAULT") }
                        try step.query(
                            "INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2, $3)",
                            [component, String(migration.version), migration.name])
                    }
                    try step.query("COMMIT")
                } catch {
                    _ = try? step.query("ROLLBACK")
                    throw MigrationError(component: component, version: migration.version, name: migration.name, underlying: error)
                }
                logger.info(
                    "applied migration",
                    metadata: ["component": "\(component)", "version": "\(migration.version)", "name": "\(migration.name)"])
                done.append(migration.version)
            }
            return done
        }
    }
}

extension Migrator {
    /// One round trip: the ledger exists, every version is applied, and the schema and role
    /// (when asked for) exist with this session a member of the role.
    static func upToDate(component: String, schema: String?, role: String?, versions: [Int], on connection: PGConnection)
        throws(DatabaseError) -> Bool
    {
        let row = try connection.query(
            """
            SELECT to_regclass('public.schema_migrations') IS NOT NULL AS ledger,
                   ($1::text IS NULL OR EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)) AS schema_ok,
                   ($2::text IS NULL OR (EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $2)
                        AND (SELECT rolcanlogin FROM pg_roles WHERE rolname = $2)
                        AND pg_has_role(current_user, (SELECT oid FROM pg_roles WHERE rolname = $2), 'MEMBER'))) AS role_ok
            """, [schema, role]
        ).first
        guard let row, row.bool("ledger"), row.bool("schema_ok"), row.bool("role_ok") else { return false }
        if versions.isEmpty { return true }
        let applied = Set(
            try connection.query("SELECT version FROM schema_migrations WHERE component = $1", [component]).rows.map { $0.int("version") })
        return versions.allSatisfy(applied.contains)
    }

    /// Creates `role` and `schema` owned by it, when missing. The role can log in (a plugin's
    /// statements run on its own connections, PluginRoleLogin.swift; its password is set
    /// there) and owns nothing but the schema. Roles are shared by every database of the
    /// cluster, so another database may create the same role at the same moment: "already
    /// exists" is success. The public schema is closed to PUBLIC, so plugin roles cannot
    /// even look up core tables.
    static func ensureOwnedSchema(_ schema: String, role: String, on connection: PGConnection) throws(DatabaseError) {
        let existing = try connection.query("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", [role]).first
        if existing == nil {
            do {
                try connection.query("CREATE ROLE \(quoteIdentifier(role)) LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
            } catch {
                // Another database of the cluster may have created it at the same moment.
                if !(error.isDuplicateObject || error.isUniqueViolation) { throw error }
            }
        } else if existing?.bool("rolcanlogin") == false {
            // A role from before plugins logged in on their own (NOLOGIN, used with SET ROLE).
            try settlingRace(
                "ALTER ROLE \(quoteIdentifier(role)) LOGIN", on: connection,
                done: "SELECT rolcanlogin AS done FROM pg_roles WHERE rolname = $1", role)
        }
        // Setting the role's password and owning what it made need membership; a CREATEROLE
        // owner grants it to itself.
        if try connection.query("SELECT pg_has_role(current_user, $1, 'MEMBER') AS member", [role]).first?.bool("member") != true {
            try settlingRace(
                "GRANT \(quoteIdentifier(role)) TO CURRENT_USER", on: connection,
                done: "SELECT pg_has_role(current_user, $1, 'MEMBER') AS done", role)
        }
        try connection.query("CREATE SCHEMA IF NOT EXISTS \(quoteIdentifier(schema)) AUTHORIZATION \(quoteIdentifier(role))")
        try connection.execute(
            script: """
                DO $garrison$
                BEGIN
                    IF pg_has_role(current_user, (SELECT nspowner FROM pg_namespace WHERE nspname = 'public'), 'USAGE') THEN
                        REVOKE ALL ON SCHEMA public FROM PUBLIC;
                    END IF;
                END
                $garrison$;
                """)
    }
}

extension Migrator {
    /// Runs a change to a role, which every database of the cluster shares: another
    /// database's host may make the same change at the same moment ("duplicate key",
    /// "tuple concurrently updated"). If it fails and `done` (a query of one boolean column
    /// `done` about `role`) says the change is in place, that is success.
    static func settlingRace(_ sql: String, on connection: PGConnection, done: String, _ role: String) throws(DatabaseError) {
        do {
            try connection.query(sql)
        } catch {
            if try connection.query(done, [role]).first?.bool("done") != true { throw error }
        }
    }
}

public struct MigrationError: Error, CustomStringConvertible {
    public let component: String
    public let version: Int
    public let name: String
    public let underlying: Error
    public var description: String { "migration \(component) #\(version) (\(name)) failed: \(underlying)" }
}

/// Quotes an SQL identifier (schema names come from plugin names, never from requests).
public func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
