import Foundation
import Testing
import TwoFactorCore
@testable import GarrisonHost

/// Migrations run forward from every released schema. Each fixture in Tests/Fixtures/Upgrade
/// is the database of an older Garrison with data made through its API
/// (make_fixture.py says how); it is loaded into the test cluster as that version left it --
/// owned by the cluster's superuser, plugin schemas owned by NOLOGIN roles -- handed over as
/// the private cluster does at start (EmbeddedPostgres.adopt), and served by this build with
/// every shipped plugin. Users, agents, checks with their history, scripts and second factors
/// must all have survived.
@Suite struct UpgradeTests {
    static let folder = PackagePaths.root.appendingPathComponent("Tests/Fixtures/Upgrade")
    static var fixtures: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".sql") }.map {
            String($0.dropLast(4))
        }.sorted()
    }

    @Test func thereIsAFixture() {
        #expect(!Self.fixtures.isEmpty, "no upgrade fixture in \(Self.folder.path)")
    }

    @Test(arguments: fixtures) func migratesForward(from fixture: String) async throws {
        let facts = try JSON.parse(Data(contentsOf: Self.folder.appendingPathComponent(fixture + ".json")))
        let conninfo = try await Self.load(Self.folder.appendingPathComponent(fixture + ".sql"))
        let key = try #require(facts["twofactor_key"]?.stringValue)
        let plugins = try PluginFolder.shippedPlugins(twoFactorKey: key, twoFactorRequired: true)
        defer { plugins.cleanUp() }
        try await TestHost.with(database: conninfo, configure: { $0.pluginsDirectory = plugins.path }) { host in
            let pool = host.server.storage.pool
            let ledger = Set(
                try await pool.query("SELECT version FROM schema_migrations WHERE component = 'core'").rows.map { $0.int("version") })
            #expect(ledger.isSuperset(of: CoreMigrations.all.map(\.version)), "core migrations applied up to head: \(ledger.sorted())")

            // The operator signs in with the same password and second factor.
            let user = try #require(facts["users"]?["operator1"])
            let secret = try #require(Base32.decode(user["totp_secret"]?.stringValue ?? ""))
            let code = TOTP(secret: secret).code(at: Int64(Date().timeIntervalSince1970))
            let login = try await host.request(
                .post, "/v2/login/", json: ["username": "operator1", "password": user["password"] ?? .null, "twofactor": .string(code)])
            let token = try #require(login.json["token"]?.stringValue, "operator1 signs in after the upgrade: \(login.text)")
            #expect(login.json["scope"] == nil, "a full token: the enrollment survived")

            let listed = try await host.request(.get, "/agents/", as: .token(token))
            let ids = Set((listed.json.arrayValue ?? []).compactMap { $0["agent_id"]?.stringValue })
            let scripts = try await host.request(.get, "/scripts/", as: .token(token))
            #expect(scripts.json.arrayValue?.contains { $0["name"] == facts["script"] } == true, "\(scripts.text)")
            let results = facts["results_per_check"]?.intValue ?? 0
            for agent in facts["agents"]?.arrayValue ?? [] {
                let id = try #require(agent["agent_id"]?.stringValue)
                let check = try #require(agent["check"]?.intValue)
                let agentToken = try #require(agent["token"]?.stringValue)
                #expect(ids.contains(id), "agent \(id) known: \(listed.text)")
                // The agent keeps its token, and the Checks plugin its definitions and history.
                let runner = try await host.request(.get, "/api/v3/\(id)/runchecks/", as: .token(agentToken))
                #expect(runner.status == 200, "\(runner.text)")
                #expect(runner.json["checks"]?.arrayValue?.contains { $0["id"]?.intValue == check } == true, "\(runner.text)")
                let history = try await pool.query(
                    "SELECT count(*)::int AS n FROM plugin_check.history WHERE check_id = $1", [String(check)]
                ).first?.int("n")
                #expect(history == results)
                let posted = try await host.request(
                    .patch, "/api/v3/checkrunner/", as: .token(agentToken),
                    json: [
                        "id": .init(check), "agent_id": .string(id), "stdout": "after upgrade", "stderr": "", "retcode": 0, "runtime": 0.1,
                    ])
                #expect(posted.status == 200, "a result after the upgrade: \(posted.text)")
            }
        }
    }

    /// The fixture in a new database of the test cluster, as the old version left it, then
    /// handed to the owner role; returns the owner's conninfo.
    static func load(_ sql: URL) async throws -> String {
        let cluster = try await TestCluster.shared.server()
        let name = "t_up_" + Crypto.randomHex(bytes: 6)
        let admin = try PGConnection(conninfo: try cluster.adminConninfo(database: "postgres"))
        try admin.query("CREATE DATABASE \(name)")
        // Roles are the cluster's, not the dump's: the plugin roles the old version made.
        let text = try String(contentsOf: sql, encoding: .utf8)
        let roles = Set(
            text.split(separator: "\n").compactMap { line -> String? in
                guard let range = line.range(of: " OWNER TO ") else { return nil }
                let role = line[range.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: "; "))
                return role.hasPrefix("plugin_") ? role : nil
            })
        for role in roles.sorted() {
            // Another test's host may have made it already (roles are shared by the cluster).
            try admin.execute(
                script: """
                    DO $garrison$ BEGIN
                        CREATE ROLE \(quoteIdentifier(role)) NOLOGIN;
                    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                    END $garrison$;
                    """)
        }
        let psql = try #require(Subprocess.which("psql"))
        let conninfo = try cluster.adminConninfo(database: name)
        let loaded = try Subprocess.run(psql, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-f", sql.path])
        try #require(loaded.status == 0, "psql -f \(sql.lastPathComponent): \(loaded.output)")
        try cluster.adopt(database: name)
        return try cluster.ownerConninfo(database: name)
    }
}
