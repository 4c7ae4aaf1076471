import Foundation

/// The host's own role in the private cluster. initdb's superuser (`garrison`) stays for
/// administration (creating databases); the host's pool logs in as `garrison_owner`, which
/// can create roles but is no superuser, so nothing a plugin does on a connection can climb
/// back to a superuser. Clusters made before this role existed are upgraded at start.
extension EmbeddedPostgres {
    public static let ownerRole = "garrison_owner"

    var ownerPasswordFile: URL { root.appendingPathComponent("garrison_owner.password") }

    /// libpq connection string for the `garrison` database as the superuser (administration only).
    public func adminConninfo(database: String = "garrison") throws -> String {
        try conninfo().replacingOccurrences(of: "dbname=garrison", with: "dbname=\(database)")
    }

    /// libpq connection string for `database` as the host's owner role.
    public func ownerConninfo(database: String = "garrison") throws -> String {
        let password = try String(contentsOf: ownerPasswordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return "host=\(socketDirectory.path) port=\(port) dbname=\(database) user=\(Self.ownerRole) password=\(password) connect_timeout=5"
    }

    /// Creates the owner role (or gives it a new password when its file is gone) and hands
    /// it the `garrison` database. Runs at every start: idempotent, and the upgrade path.
    func ensureOwnerRole() throws {
        if !FileManager.default.fileExists(atPath: ownerPasswordFile.path) {
            try SecretFile.write(Crypto.randomHex(bytes: 24), to: ownerPasswordFile)
        }
        let password = try String(contentsOf: ownerPasswordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let admin = try PGConnection(conninfo: try adminConninfo(database: "postgres"))
        let role = quoteIdentifier(Self.ownerRole)
        if try admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [Self.ownerRole]).rows.isEmpty {
            do {
                try admin.query("CREATE ROLE \(role) LOGIN CREATEROLE NOSUPERUSER")
            } catch {
                // Another start on the same cluster may have created it at the same moment.
                if !(error.isDuplicateObject || error.isUniqueViolation) { throw error }
            }
        }
        // The literal cannot hold a quote: the password is hex.
        try admin.query("ALTER ROLE \(role) LOGIN CREATEROLE NOSUPERUSER NOREPLICATION NOBYPASSRLS PASSWORD '\(password)'")
        try adopt(database: "garrison")
    }

    /// Makes the owner role own `database`, its public schema and everything in it, and able
    /// to manage the plugin roles already there (created by the superuser before the owner
    /// role existed). The public schema is closed to PUBLIC, so plugin roles cannot see it.
    public func adopt(database: String) throws {
        let admin = try PGConnection(conninfo: try adminConninfo(database: database))
        let owner = quoteIdentifier(Self.ownerRole)
        try admin.query("ALTER DATABASE \(quoteIdentifier(database)) OWNER TO \(owner)")
        try admin.execute(
            script: """
                ALTER SCHEMA public OWNER TO \(owner);
                REVOKE ALL ON SCHEMA public FROM PUBLIC;
                DO $garrison$
                DECLARE r record;
                BEGIN
                    -- Tables and views first: sequences that belong to a column follow their table.
                    FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                               AND pg_get_userbyid(c.relowner) <> '\(Self.ownerRole)' LOOP
                        EXECUTE format('ALTER %s public.%I OWNER TO \(owner)',
                            CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, r.relname);
                    END LOOP;
                    FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                             WHERE n.nspname = 'public' AND c.relkind = 'S' AND pg_get_userbyid(c.relowner) <> '\(Self.ownerRole)' LOOP
                        EXECUTE format('ALTER SEQUENCE public.%I OWNER TO \(owner)', r.relname);
                    END LOOP;
                    FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                             WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '\(Self.ownerRole)' LOOP
                        EXECUTE format('ALTER ROUTINE %s OWNER TO \(owner)', r.f);
                    END LOOP;
                    FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                             WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c') AND t.typrelid = 0
                               AND pg_get_userbyid(t.typowner) <> '\(Self.ownerRole)' LOOP
                        EXECUTE format('ALTER TYPE public.%I OWNER TO \(owner)', r.typname);
                    END LOOP;
                    -- Plugin roles made by the superuser: the owner may manage and use them.
                    FOR r IN SELECT DISTINCT a.rolname FROM pg_namespace n JOIN pg_roles a ON a.oid = n.nspowner
                             WHERE NOT a.rolsuper AND a.rolname NOT IN ('\(Self.ownerRole)', 'pg_database_owner')
                               AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname NOT IN ('public', 'information_schema') LOOP
                        EXECUTE format('GRANT %I TO \(owner) WITH ADMIN OPTION', r.rolname);
                    END LOOP;
                END
                $garrison$;
                """)
    }
}
