import Foundation
import Logging
import Testing
@testable import GarrisonHost

/// A plugin's SQL cannot climb out of its role: its connections log in as the plugin's own
/// role, so there is no session role to go back to, and the host's role is no superuser.
/// (With SET ROLE on a superuser's connection, both bypasses below read public.users.)
@Suite struct PluginsConfinementTests {
    static let denied = -8  // GARRISON_ERR_DENIED: insufficient_privilege

    @Test func resetRoleInsideAStatementFindsNothingToGoBackTo() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-hello-c.toml", fixture: "hello-c")
        try folder.add("20-probe.toml", fixture: "probe")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            let sql = { (statement: String) in try await PluginsDatabaseTests.sql(host, admin, statement) }
            let who = try await sql("SELECT current_user AS c, session_user AS s")
            #expect(who.body == [["c": "plugin_probe", "s": "plugin_probe"]], "\(who.text)")

            let doBlock = try await sql("DO $$ BEGIN EXECUTE 'RESET ROLE'; PERFORM count(*) FROM public.users; END $$")
            #expect(doBlock.status == Self.denied, "\(doBlock.text)")
            #expect(doBlock.text.contains("permission denied"), "\(doBlock.text)")

            for role in [EmbeddedPostgres.ownerRole, "garrison"] {
                let setConfig = try await sql("SELECT set_config('role', '\(role)', false)")
                #expect(setConfig.status == Self.denied, "set_config role \(role): \(setConfig.text)")
                let read = try await sql("SELECT count(*) AS n FROM public.users")
                #expect(read.status == Self.denied, "after set_config \(role): \(read.text)")
                #expect(try await sql("SET ROLE \(role)").status == Self.denied)
                #expect(try await sql("SET SESSION AUTHORIZATION \(role)").status == Self.denied)
            }
            // Another plugin's schema is closed too, however it is named.
            #expect(try await sql("SELECT * FROM plugin_hello_c.greetings").status == Self.denied)
            #expect(
                try await sql("DO $$ BEGIN EXECUTE 'RESET ROLE'; PERFORM * FROM plugin_hello_c.greetings; END $$").status == Self.denied)
            // The host's own role owns the database but is no superuser.
            let hostRole = try await host.server.storage.pool.query(
                "SELECT current_user AS name, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user"
            ).first
            #expect(hostRole?["name"] == EmbeddedPostgres.ownerRole)
            #expect(hostRole?.bool("rolsuper") == false)
            #expect(hostRole?.bool("rolcreaterole") == true)
            // The plugin still works inside its own schema.
            #expect(try await sql("SELECT count(*) AS n FROM items").status == 0)
        }
    }

    /// A database made before the owner role existed (tables and a NOLOGIN plugin role
    /// created by the superuser) is handed over in place: the owner role owns the tables and
    /// can turn the plugin role into a login role.
    @Test func anExistingDatabaseIsHandedToTheOwnerRole() async throws {
        let cluster = try await TestCluster.shared.server()
        let name = "t_" + Crypto.randomHex(bytes: 6)
        let role = "plugin_old_" + Crypto.randomHex(bytes: 4)
        let admin = try PGConnection(conninfo: try cluster.adminConninfo(database: "postgres"))
        try admin.query("CREATE DATABASE \(name)")
        let old = try PGConnection(conninfo: try cluster.adminConninfo(database: name))
        try old.execute(
            script: """
                CREATE TABLE users (id serial PRIMARY KEY, name text);
                CREATE ROLE \(role) NOLOGIN;
                CREATE SCHEMA \(role) AUTHORIZATION \(role);
                """)
        try cluster.adopt(database: name)
        let owner = try PGConnection(conninfo: try cluster.ownerConninfo(database: name))
        try owner.query("INSERT INTO users (name) VALUES ('a')")
        #expect(
            try owner.query("SELECT tableowner FROM pg_tables WHERE tablename = 'users'").first?["tableowner"] == EmbeddedPostgres.ownerRole
        )
        try Migrator.ensureOwnedSchema(role, role: role, on: owner)
        #expect(try owner.query("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", [role]).first?.bool("rolcanlogin") == true)
        #expect(try owner.query("SELECT has_schema_privilege($1, 'public', 'USAGE') AS u", [role]).first?.bool("u") == false)
    }

    /// A plugin's migrations run on its own login too: a step that climbs out with RESET ROLE
    /// inside a DO block fails and leaves nothing, a good step lands with its ledger row, and
    /// the ledger function writes only the caller's own component.
    @Test func migrationsRunOnThePluginsOwnLogin() async throws {
        let conninfo = try await TestCluster.shared.createDatabase()
        let pool = DatabasePool(conninfo: conninfo, size: 2, logger: Logger(label: "t"))
        defer { Task { await pool.close() } }
        let migrator = Migrator(pool: pool, logger: Logger(label: "t"))
        try await migrator.migrate(component: "core", CoreMigrations.all)
        let role = "plugin_m_" + Crypto.randomHex(bytes: 4)
        let login: @Sendable (PGConnection) throws -> String = { connection in
            try PluginRoleLogin.ensureLogin(hostConninfo: conninfo, role: role, schema: role, statementTimeoutMS: 5_000, on: connection)
        }
        let escape = Migration(
            version: 1, name: "escape",
            sql: """
                CREATE TABLE mine (id int);
                DO $$ BEGIN EXECUTE 'RESET ROLE'; EXECUTE 'CREATE TABLE public.stolen AS SELECT * FROM public.users'; END $$;
                """)
        let error = await #expect(throws: MigrationError.self) {
            try await migrator.migrate(component: "plugin:m", schema: role, role: role, login: login, [escape])
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("permission denied"), "\(String(describing: error))")
        #expect(
            try await pool.query(
                "SELECT to_regclass('public.stolen') IS NULL AS gone, to_regclass($1) IS NULL AS rolled_back", [role + ".mine"]
            ).first.map { $0.bool("gone") && $0.bool("rolled_back") } == true)

        let good = Migration(version: 1, name: "good", sql: "CREATE TABLE mine (id int)")
        #expect(try await migrator.migrate(component: "plugin:m", schema: role, role: role, login: login, [good]) == [1])
        let owner = try await pool.query("SELECT tableowner FROM pg_tables WHERE schemaname = $1 AND tablename = 'mine'", [role]).first?[
            "tableowner"]
        #expect(owner == role)
        #expect(try await pool.query("SELECT count(*) AS n FROM schema_migrations WHERE component = 'plugin:m'").first?.int("n") == 1)

        // On the plugin's login, the ledger function records its own component only.
        let own = try PGConnection(conninfo: try await pool.withConnection { try login($0) })
        try own.query("SELECT \(MigrationLedger.record)(7, 'by hand')")
        let components = try await pool.query("SELECT component FROM schema_migrations WHERE name = 'by hand'").rows.compactMap {
            $0["component"]
        }
        #expect(components == ["plugin:m"])
        #expect(throws: DatabaseError.self) {
            try own.query("INSERT INTO public.schema_migrations (component, version, name) VALUES ('core', 99, 'x')")
        }
    }
}
