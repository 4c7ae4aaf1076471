import Foundation
import Testing
@testable import GarrisonHost

/// db_query, core_get and the other host services, through the probe fixture, which answers
/// with the host's status code in X-Status and the done data as its body.
@Suite struct PluginsDatabaseTests {
    struct SQLReply {
        let status: Int
        let body: JSON
        let text: String
    }

    static func sql(_ host: TestHost, _ token: String, _ statement: String, params: String? = nil) async throws -> SQLReply {
        let reply = try await host.request(
            .post, "/probe/sql/", as: .token(token), rawBody: statement, headers: params.map { ["X-Params": $0] } ?? [:])
        let status = Int(reply.headers[.init("X-Status")!] ?? "") ?? 99
        return SQLReply(status: status, body: reply.json, text: reply.text)
    }

    @Test func queriesStayInsideThePluginsSchema() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-hello-c.toml", fixture: "hello-c")
        try folder.add("20-probe.toml", fixture: "probe")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            #expect(try await host.request(.post, "/hello/secret/", as: .token(admin)).status == 200)
            let denied: [(String, Int)] = [
                ("SELECT count(*) AS n FROM public.users", -8),
                ("SELECT password_hash FROM public.users", -8),
                ("SELECT * FROM plugin_hello_c.greetings", -8),
                ("DELETE FROM plugin_hello_c.greetings", -8),
                ("INSERT INTO public.audit_log (username, action, object_type) VALUES ('x', 'login', 'user')", -8),
                ("CREATE TABLE public.evil (x int)", -8),
                ("SELECT * FROM users", -1),
            ]
            for (statement, status) in denied {
                let reply = try await Self.sql(host, admin, statement)
                #expect(reply.status == status, "\(statement): \(reply.status) \(reply.text)")
            }
            let who = try await Self.sql(host, admin, "SELECT current_user AS role, current_schema() AS schema")
            #expect(who.status == 0)
            #expect(who.body == [["role": "plugin_probe", "schema": "plugin_probe"]])
            let untouched = try await host.server.storage.pool.query("SELECT count(*) AS n FROM plugin_hello_c.greetings").first?.int("n")
            #expect(untouched == 1)
        }
    }

    @Test func parametersAndRowsAreTyped() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("20-probe.toml", fixture: "probe")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            let insert = try await Self.sql(
                host, admin, "INSERT INTO items (name, n, ok, doc) VALUES ($1, $2, $3, $4::jsonb), ($5, $6, $7, NULL)",
                params: #"["a \"quoted\" name", 3, true, {"k": [1, 2]}, "b", null, false]"#)
            #expect(insert.status == 0)
            #expect(insert.body == [])
            let rows = try await Self.sql(host, admin, "SELECT name, n, ok, doc, 1.5::float8 AS f, 'x'::text AS t FROM items ORDER BY id")
            #expect(rows.status == 0)
            #expect(
                rows.body == [
                    ["name": "a \"quoted\" name", "n": 3, "ok": true, "doc": ["k": [1, 2]], "f": 1.5, "t": "x"],
                    ["name": "b", "n": nil, "ok": false, "doc": nil, "f": 1.5, "t": "x"],
                ])
            let duplicate = try await Self.sql(host, admin, "INSERT INTO items (name) VALUES ($1)", params: #"["b"]"#)
            #expect(duplicate.status == -3, "unique violation: \(duplicate.text)")
            #expect(try await Self.sql(host, admin, "SELEKT 1").status == -1)
            #expect(
                try await Self.sql(host, admin, "SELECT 1", params: #"{"not": "an array"}"#).status == -1,
                "db_query refuses params that are not an array")
            #expect(try await Self.sql(host, admin, " \n\t ").status == -1, "db_query refuses a blank statement")
        }
    }

    @Test func sessionSettingsDoNotLeakIntoCoreQueries() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("20-probe.toml", fixture: "probe")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            // More than the pool's connections, so every one of them was used by the plugin.
            for _ in 0..<6 {
                #expect(try await Self.sql(host, admin, "SELECT set_config('search_path', 'plugin_probe', false) AS p").status == 0)
                #expect(try await Self.sql(host, admin, "SET ROLE plugin_probe").status == 0)
            }
            #expect(try await host.request(.get, "/clients/", as: .token(admin)).status == 200)
            let role = try await host.server.storage.pool.query("SELECT current_user AS u, current_setting('search_path') AS p").first
            #expect(role?.string("u") == EmbeddedPostgres.ownerRole)
            #expect(role?.string("p") != "plugin_probe")
        }
    }

    @Test func initPhaseAndRegistrationCodes() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("20-probe.toml", fixture: "probe")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            let codes = try await host.request(.get, "/probe/init-results/", as: .token(admin)).json
            // db_query in init, bad permission, "anonymous", bad method, bad pattern, migration,
            // duplicate migration, a core route, bad scopes; agent members: a bad name, the
            // host's own "hostname", no placement, an unknown flag.
            #expect(codes == [-2, -1, -1, -1, -1, 0, -3, -3, -1, -1, -3, -1, -1])
        }
    }

    @Test func cancelCompletesWithCancelledOnce() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("20-probe.toml", fixture: "probe")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            let reply = try await host.request(.get, "/probe/cancel/", as: .token(admin))
            #expect(reply.status == 200)
            #expect(reply.headers[.init("X-Status")!] == "-6")
            let stopped = try await host.eventually {
                try await host.server.storage.pool.query(
                    "SELECT count(*) AS n FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active' AND datname = current_database()"
                ).first?.int("n") == 0
            }
            #expect(stopped, "the statement was cancelled on the server too")
        }
    }

    @Test func coreObjectsAreReadable() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("20-probe.toml", fixture: "probe")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            let (client, site) = try await host.client("Acme", admin: admin)
            try await host.seedAgent("agent-1", hostname: "web-01", site: site)
            func get(_ kind: String, _ id: String) async throws -> (String?, JSON) {
                let reply = try await host.request(.get, "/probe/core/\(kind)/\(id)/", as: .token(admin))
                return (reply.headers[.init("X-Status")!], reply.json)
            }
            let agent = try await get("agent", "agent-1")
            #expect(agent.0 == "0")
            #expect(agent.1["hostname"] == "web-01")
            #expect(agent.1["client_name"] == "Acme")
            let clientObject = try await get("client", String(client))
            #expect(clientObject.1["name"] == "Acme")
            #expect(clientObject.1["sites"]?.arrayValue?.first?["name"] == "HQ")
            #expect(try await get("site", String(site)).1["client_name"] == "Acme")
            #expect(try await get("agent", "nope").0 == "-4")
            #expect(try await get("client", "999999").0 == "-4")
            #expect(try await get("planet", "1").0 == "-10")
        }
    }

    @Test func otherHostCallsAnswerAsDocumented() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("20-probe.toml", fixture: "probe")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            let reply = try await host.request(.get, "/probe/calls/thing-1/", as: .token(admin), headers: ["X-Test": "hi there"])
            var fields = reply.json.objectValue ?? [:]
            // schedule_upsert started (the scheduler is here now): its cancel token is real.
            #expect((fields.removeValue(forKey: "token_after_error")?.intValue ?? 0) > 0)
            #expect(
                JSON.object(fields) == [
                    "late_register": -2, "schedule_upsert": 0, "schedule_cancel": 0, "agent_request": 0, "agent_send": -7,
                    "job_complete": -1, "publish_reserved": -8, "publish_own": 0, "audit": 0, "cancel_zero": -4, "param_missing": -4,
                    "set_reserved_header": -1, "publish_not_object": -1, "agent_send_empty": -1, "audit_no_action": -1, "header": 0,
                    "x_test": "hi there", "thing": "thing-1",
                ])
            let audited = try await host.eventually {
                try await host.server.storage.pool.query(
                    "SELECT count(*) AS n FROM audit_log WHERE action = 'probe.checked' AND username = 'plugin:probe'"
                ).first?.int("n") == 1
            }
            #expect(audited)
            let delivered = try await host.eventually {
                try await host.request(.get, "/probe/events/", as: .token(admin)).json["events"] == 1
            }
            #expect(delivered, "the plugin's own probe.ping reached its probe.* subscription")
        }
    }
}
