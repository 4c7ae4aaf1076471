import Foundation
import Logging
import Testing
@testable import GarrisonHost

/// `garrison import-trmm` against a Tactical RMM-shaped source database built from
/// Tests/Fixtures/TRMM/trmm-1.5.1.sql in the test cluster, imported into a fresh Garrison
/// database, then served by a real host.
@Suite struct ImportTRMMTests {
    static let logger = Logger(label: "import-test")

    /// A database holding the fixture; returns its connection string.
    static func source(_ sql: String? = nil) async throws -> String {
        let conninfo = try await TestCluster.shared.createDatabase()
        let text = try sql ?? String(contentsOf: PackagePaths.root.appendingPathComponent("Tests/Fixtures/TRMM/trmm-1.5.1.sql"), encoding: .utf8)
        let connection = try PGConnection(conninfo: conninfo)
        try connection.execute(script: text)
        return conninfo
    }

    /// A migrated, empty Garrison database with the first-run admin (id 1), as `garrison serve` leaves it.
    static func target() async throws -> (String, DatabasePool) {
        let conninfo = try await TestCluster.shared.createDatabase()
        let pool = DatabasePool(conninfo: conninfo, size: 2, logger: logger)
        try await Migrator(pool: pool, logger: logger).migrate(component: "core", CoreMigrations.all)
        let data = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("garrison-import-\(Crypto.randomHex(bytes: 6))")
        defer { try? FileManager.default.removeItem(at: data) }
        _ = try await FirstRunAdmin.ensure(pool: pool, hasher: .fastForTests, dataDirectory: data, logger: logger)
        return (conninfo, pool)
    }

    static func count(_ pool: DatabasePool, _ sql: String) async throws -> Int {
        try await pool.query(sql).first?.int("n") ?? -1
    }

    @Test func dryRunSaysWhatAndEveryProblemAndWritesNothing() async throws {
        let source = try await Self.source()
        let (_, pool) = try await Self.target()
        let report = try await TRMMImport.run(source: source, target: pool, apply: false, logger: Self.logger)
        #expect(report.sourceVersion == "1.5.x")
        #expect(!report.applied)
        #expect(report.count("clients (clients_client)") == 3)
        #expect(report.count("sites (clients_site)") == 10)
        #expect(report.count("agents (agents_agent, with tokens for REST and NATS)") == 199)
        #expect(report.count("agents without a token") == 1)
        #expect(report.count("operators (accounts_user, Django password hashes verified at sign-in)") == 5)
        #expect(report.count("roles (accounts_role, with client/site scope)") == 2)
        #expect(report.count("policies (automation_policy)") == 2)
        let lines = report.problems.map(\.line)
        #expect(lines.contains { $0.hasPrefix("agents_agent id 1201:") && $0.contains("site 999 does not exist") && $0.hasSuffix("skipped") })
        #expect(lines.contains { $0.hasPrefix("agents_agent id 1200:") && $0.contains("no token") })
        #expect(lines.contains { $0.hasPrefix("checks_check id 302:") && $0.contains("error_threshold 150") })
        #expect(lines.contains { $0.hasPrefix("core_globalkvstore id 3:") && $0.contains("backup_share") })
        #expect(lines.contains { $0.hasPrefix("agents_note id 3:") })
        #expect(report.mappings == [.init(table: "accounts_user", sourceID: 1, targetID: 6)])
        #expect(report.notImported.contains { $0.what.hasPrefix("knox_authtoken") })
        #expect(report.text.contains("Dry run: nothing was written"))
        // Nothing written.
        #expect(try await Self.count(pool, "SELECT count(*) AS n FROM clients") == 0)
        #expect(try await Self.count(pool, "SELECT count(*) AS n FROM agents") == 0)
        #expect(try await Self.count(pool, "SELECT count(*) AS n FROM import_runs") == 0)
        #expect(try await Self.count(pool, "SELECT count(*) AS n FROM users") == 1)
        await pool.close()
    }

    @Test func aSourceThatIsNotTacticalRMMOrTooNewIsRefusedClearly() async throws {
        let (_, pool) = try await Self.target()
        let empty = try await TestCluster.shared.createDatabase()
        await #expect(throws: TRMMImportError.self) { try await TRMMImport.run(source: empty, target: pool, apply: false, logger: Self.logger) }
        do { _ = try await TRMMImport.run(source: empty, target: pool, apply: false, logger: Self.logger) } catch let error as TRMMImportError {
            #expect(error.description.contains("not a Tactical RMM database"))
        }
        let newer = try await Self.source(
            """
            CREATE TABLE django_migrations (id serial PRIMARY KEY, app text, name text, applied timestamptz);
            CREATE TABLE agents_agent (id serial); CREATE TABLE authtoken_token (key text); CREATE TABLE clients_client (id serial);
            INSERT INTO django_migrations (app, name, applied) VALUES ('accounts', '0050_future', now()), ('agents', '0062_x', now()),
              ('checks', '0034_x', now()), ('core', '0053_x', now()), ('clients', '0024_x', now()), ('scripts', '0020_x', now()),
              ('automation', '0009_x', now()), ('alerts', '0014_x', now()), ('autotasks', '0041_x', now());
            """)
        do {
            _ = try await TRMMImport.run(source: newer, target: pool, apply: false, logger: Self.logger)
            Issue.record("a newer schema was accepted")
        } catch let error as TRMMImportError {
            #expect(error.description.contains("newer than 1.5.1"))
            #expect(error.description.contains("Tactical RMM 1.2.0 to 1.5.1"))
        }
        #expect(try await Self.count(pool, "SELECT count(*) AS n FROM import_runs") == 0)
        await pool.close()
    }

    @Test func importedAgentsOperatorsRolesAndKeysWorkOnTheServer() async throws {
        let source = try await Self.source()
        let (conninfo, pool) = try await Self.target()
        let report = try await TRMMImport.run(source: source, target: pool, apply: true, logger: Self.logger)
        #expect(report.applied)
        // Ids kept: clients, sites, agents; operators too except the one the first-run admin's id held.
        #expect(try await pool.query("SELECT string_agg(id::text, ',' ORDER BY id) AS ids FROM clients").first?.string("ids") == "3,7,12")
        #expect(try await Self.count(pool, "SELECT count(*) AS n FROM sites WHERE id BETWEEN 20 AND 29") == 10)
        #expect(try await Self.count(pool, "SELECT count(*) AS n FROM agents") == 200)
        #expect(try await pool.query("SELECT id FROM users WHERE username = 'tactical'").first?.int("id") == 6)
        // Dashboard preferences come along (Accounts/Users/UserUI.swift).
        #expect(
            try await pool.query("SELECT ui::text AS ui FROM users WHERE username = 'bob'").first.map {
                (try? JSON.parse(Data($0.string("ui").utf8))) ?? .null
            } == ["dark_mode": false, "url_action": 2])
        #expect(try await pool.query("SELECT custom_fields->>'Contract' AS v FROM clients WHERE id = 3").first?.string("v") == "gold")
        #expect(try await pool.query("SELECT custom_fields->>'Has UPS' AS v FROM sites WHERE id = 20").first?.string("v") == "true")
        #expect(try await pool.query("SELECT custom_fields->>'Asset Tag' AS v FROM agents WHERE id = 1007").first?.string("v") == "TAG-7")
        #expect(try await pool.query("SELECT excluded_sites::text AS v FROM policies WHERE id = 1").first?.string("v") == "{23}")
        #expect(try await pool.query("SELECT settings->>'smtp_host' AS v FROM core_settings").first?.string("v") == "smtp.example.com")
        #expect(try await Self.count(pool, "SELECT count(*) AS n FROM global_keystore") == 2)
        #expect(try await Self.count(pool, "SELECT count(*) AS n FROM agent_notes") == 2)
        #expect(try await Self.count(pool, "SELECT count(*) AS n FROM agent_history") == 20)
        // A later insert does not collide with an imported id.
        #expect(try await pool.query("INSERT INTO clients (name) VALUES ('New') RETURNING id").first?.int("id") == 13)
        try await pool.query("DELETE FROM clients WHERE name = 'New'")

        // Until the plugins' parts are in, a rerun resumes rather than refuses.
        let resumed = try await TRMMImport.run(source: source, target: pool, apply: true, logger: Self.logger)
        #expect(resumed.alreadyDone == ["host"])
        let sourceConnection = try PGConnection(conninfo: source)
        let token = try #require(
            try sourceConnection.query(
                "SELECT t.key FROM authtoken_token t JOIN accounts_user u ON u.id = t.user_id WHERE u.agent_id = 1001"
            ).first?.string("key"))
        let agentID = try #require(try sourceConnection.query("SELECT agent_id FROM agents_agent WHERE id = 1001").first?.string("agent_id"))
        // The agent's NATS user is written from the same token.
        let natsHash = try #require(try await pool.query("SELECT nats_password FROM agents WHERE id = 1001").first?.string("nats_password"))
        #expect(NATSPassword.verify(token, natsHash))
        #expect(!NATSPassword.verify("0" + token.dropFirst(), natsHash))
        await pool.close()

        let folder = try Self.plugins()
        defer { folder.cleanUp() }
        try await TestHost.with(database: conninfo, configure: { $0.pluginsDirectory = folder.path }) { host in
            // The plugins' parts, through each plugin's <plugin>.import-trmm job.
            let parts = try await TRMMImport.importPlugins(
                source: source, pool: host.server.storage.pool, jobs: host.server.jobs, logger: Self.logger)
            let counts = Dictionary(uniqueKeysWithValues: parts.pluginResults.map { ($0.part, $0.counts) })
            #expect(counts["scripting"]?.first { $0.what == "scripts (scripts_script)" }?.count == 20)
            #expect(counts["check"]?.first { $0.what == "checks (checks_check, agents' and policies')" }?.count == 301)
            #expect(counts["check"]?.first { $0.what == "check results (checks_checkresult)" }?.count == 300)
            #expect(parts.problems.map(\.line).contains { $0.hasPrefix("checks_check id 302:") && $0.contains("150") })
            #expect(counts["twofactor"]?.first?.count == 2)
            // Now a second --apply is refused.
            do {
                _ = try await TRMMImport.run(source: source, target: host.server.storage.pool, apply: true, logger: Self.logger)
                Issue.record("a second import was accepted")
            } catch let error as TRMMImportError {
                #expect(error.description.contains("already holds an import"))
            }

            // The agent signs in over REST with its existing token.
            let checkin = try await host.request(
                .post, "/api/v3/checkin/", as: .token(token), json: ["agent_id": .string(agentID), "version": "2.9.1"])
            #expect(checkin.status == 200)
            #expect(try await host.request(.post, "/api/v3/checkin/", as: .token(String(token.reversed())), json: [:]).status == 401)

            // Old passwords work; the Django hash is replaced by scrypt at once.
            let carol = try await host.login("carol", "correct horse")

            // Scripts keep their ids, shells and arguments.
            let script = try await host.request(.get, "/scripts/4/", as: .token(carol))
            #expect(script.status == 200)
            #expect(script.json["args"] == ["-Name", "{{agent.hostname}}", "run-4"])
            #expect(script.json["shell"] == "powershell")

            // The agent gets its imported checks and its results are evaluated against the
            // imported thresholds and samples.
            let due = try await host.request(.get, "/api/v3/\(agentID)/checkrunner/", as: .token(token))
            #expect(due.status == 200)
            let dueIDs = Set(due.json["checks"]?.arrayValue?.compactMap { $0["id"]?.intValue } ?? [])
            #expect(dueIDs.isSuperset(of: [1, 2, 3]))
            func result(_ id: Int) async throws -> JSON {
                let list = try await host.request(.get, "/agents/\(agentID)/checks/", as: .token(carol))
                return list.json.arrayValue?.first { $0["id"]?.intValue == id }?["check_result"] ?? .null
            }
            func submit(_ id: Int, _ fields: [String: JSON]) async throws -> Int {
                var body = fields
                body["id"] = .init(id)
                body["agent_id"] = .string(agentID)
                return try await host.request(.patch, "/api/v3/checkrunner/", as: .token(token), json: .object(body)).status
            }
            #expect(try await result(3)["status"] == "passing")
            #expect(try await result(3)["more_info"] == "Average CPU 12%")
            // Memory (error 95) averages the imported samples 10, 12, 11 with 97: 32, passing.
            #expect(try await submit(3, ["percent": 97]) == 200)
            #expect(try await result(3)["status"] == "passing")
            // Disk space C: (warning under 25 % free, error under 10 %).
            #expect(try await submit(1, ["percent_used": 95.2, "exists": true, "more_info": "Total: 100 GB, Free: 4.8 GB"]) == 200)
            #expect(try await result(1)["status"] == "failing")
            #expect(try await result(1)["alert_severity"] == "error")
            #expect(try await submit(1, ["percent_used": 80.0, "exists": true, "more_info": "Total: 100 GB, Free: 20 GB"]) == 200)
            #expect(try await result(1)["alert_severity"] == "warning")
            // An agent with no checks of its own gets its client's policy check (301).
            let other = try #require(
                try sourceConnection.query(
                    "SELECT a.agent_id, t.key FROM agents_agent a JOIN accounts_user u ON u.agent_id = a.id JOIN authtoken_token t ON t.user_id = u.id WHERE a.id = 1101"
                ).first)
            let policyDue = try await host.request(.get, "/api/v3/\(other.string("agent_id"))/checkrunner/", as: .token(other.string("key")))
            #expect(policyDue.json["checks"]?.arrayValue?.compactMap { $0["id"]?.intValue } == [301])
            #expect(try await host.request(.get, "/clients/", as: .token(carol)).json.arrayValue?.count == 3)
            let stored = try await host.server.storage.pool.query("SELECT password_hash FROM users WHERE username = 'carol'").first?
                .string("password_hash")
            #expect(stored?.hasPrefix("scrypt$") == true)
            _ = try await host.login("carol", "correct horse")
            #expect(try await host.request(.post, "/v2/login/", json: ["username": "carol", "password": "correct horsf"]).status == 400)
            // tactical had TOTP in Tactical RMM: the same authenticator app's code is asked for.
            let noCode = try await host.request(.post, "/v2/checkcreds/", json: ["username": "tactical", "password": "Tactical-root-2024"])
            #expect(noCode.json["totp"] == true)
            let code = try #require(try PyOTP.codes("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", at: [Int64(Date().timeIntervalSince1970)]).first)
            let signedIn = try await host.request(
                .post, "/v2/login/", json: ["username": "tactical", "password": "Tactical-root-2024", "twofactor": .string(code)])
            #expect(signedIn.status == 200)
            // dave was inactive in Tactical RMM.
            #expect(try await host.request(.post, "/v2/login/", json: ["username": "dave", "password": "dave-left-the-company"]).status == 400)

            // alice's role sees only Acme Corp (client 3) and its agents.
            let alice = try await host.login("alice", "alice-helpdesk-pw")
            let clients = try await host.request(.get, "/clients/", as: .token(alice))
            #expect(clients.status == 200)
            #expect(clients.json.arrayValue?.compactMap { $0["name"]?.stringValue } == ["Acme Corp"])
            #expect(try await host.request(.get, "/clients/7/", as: .token(alice)).status == 404)

            // API keys keep working by their plain value; the expired one does not.
            let keyed = try await host.request(.get, "/clients/", as: .apiKey("A1B2C3D4E5F6G7H8J9K0L1M2N3P4Q5R6"))
            #expect(keyed.status == 200)
            #expect(try await host.request(.get, "/clients/", as: .apiKey("ZZ11YY22XX33WW44VV55UU66TT77SS88")).status == 401)
        }
    }

    /// plugins.d with the scripting, checks and two-factor plugins.
    static func plugins() throws -> PluginFolder {
        let folder = try PluginFolder()
        for (file, library, settings) in [
            ("40-checks.toml", "libChecksPlugin.so", "agent_cache_seconds = 0"), ("40-scripting.toml", "libScriptingPlugin.so", ""),
            ("30-twofactor.toml", "libTwoFactorPlugin.so", "required = false\nsecret_key = \"\(Data(Crypto.randomBytes(32)).base64EncodedString())\""),
        ] {
            let copy = try folder.copyBuilt(library)
            try folder.write(file, "library = \"\(copy)\"\nenabled = true\nrequired = true\n\n[settings]\n\(settings)\n")
        }
        return folder
    }

    @Test func djangoPasswordHashesVerifyWithTheReferenceVectorAndBoundedIterations() {
        let vector = "pbkdf2_sha256$600000$mDcYjslNx7qwVoiaQiRPjB$IsVL0BSFyYEC8tZtiS+9CjioEtZZHWIsnc1B2gI6MH0="
        let hasher = PasswordHasher.fastForTests
        #expect(hasher.verify("correct horse", against: vector))
        #expect(!hasher.verify("correct horsE", against: vector))
        #expect(hasher.needsRehash(vector))
        #expect(!hasher.needsRehash(hasher.hash("x")))
        #expect(DjangoPBKDF2.problem("pbkdf2_sha256$999999999$salt$IsVL0BSFyYEC8tZtiS+9CjioEtZZHWIsnc1B2gI6MH0=")?.contains("outside") == true)
        #expect(!hasher.verify("x", against: "pbkdf2_sha256$999999999$salt$IsVL0BSFyYEC8tZtiS+9CjioEtZZHWIsnc1B2gI6MH0="))
        #expect(!hasher.verify("x", against: "!unusable"))
        #expect(hasher.verify("pw", against: DjangoPBKDF2.hash("pw", salt: "abc", iterations: 1000)))
    }
}
