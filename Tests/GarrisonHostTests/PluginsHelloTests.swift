import Foundation
import NIOConcurrencyHelpers
import Testing
@testable import GarrisonHost

/// The hello-c example end to end: settings, a migration, a row stored through db_query
/// from a pending route, and agent events counted.
@Suite struct PluginsHelloTests {
    @Test func helloCEndToEnd() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-hello-c.toml", fixture: "hello-c", settings: "greeting = \"hello from the test\"")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            let greeting = try await host.request(.get, "/hello/", as: .token(admin))
            #expect(greeting.json == ["greeting": "hello from the test", "plugin": "hello-c", "events": 0])

            let stored = try await host.request(.post, "/hello/world/", as: .token(admin))
            #expect(stored.status == 200)
            #expect(stored.json == ["stored": "world"])
            let unicode = try await host.request(.post, "/hello/gr%C3%BC%C3%9Fe/", as: .token(admin))
            #expect(unicode.json == ["stored": "grüße"])
            let rows = try await host.server.storage.pool.query("SELECT name FROM plugin_hello_c.greetings ORDER BY id").rows.map {
                $0.string("name")
            }
            #expect(rows == ["world", "grüße"])

            let events = host.server.context.events
            events.publish("agent.online", ["agent_id": "a1"])
            events.publish("client.created", ["id": 1])
            events.publish("agent.offline", ["agent_id": "a1"])
            events.publish("agent.online", ["agent_id": "a2"])
            let counted = try await host.eventually {
                try await host.request(.get, "/hello/", as: .token(admin)).json["events"] == 3
            }
            #expect(counted)
            // The bus delivers to every subscriber in publish order, the plugin's C callback
            // inline: once this later event reaches the test, client.created has reached the
            // plugin, and was not counted.
            let barrier = NIOLockedValueBox(false)
            events.subscribe(owner: "test", pattern: "test.barrier") { _ in barrier.withLockedValue { $0 = true } }
            events.publish("test.barrier", [:])
            try await eventually("the barrier event") { barrier.withLockedValue { $0 } }
            #expect(
                try await host.request(.get, "/hello/", as: .token(admin)).json["events"] == 3, "client.created is not an agent.* event")
        }
    }

    @Test func migrationsRunOnceAsThePluginsOwnRole() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-hello-c.toml", fixture: "hello-c")
        try await TestHost.with(plugins: folder) { host in
            let pool = host.server.storage.pool
            let ledger = try await pool.query("SELECT version FROM schema_migrations WHERE component = 'plugin:hello-c'").rows.map {
                $0.int("version")
            }
            #expect(ledger == [1])
            let owners = try await pool.query(
                """
                SELECT n.nspowner::regrole::text AS schema_owner, c.relowner::regrole::text AS table_owner, r.rolcanlogin AS can_login
                FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = 'greetings' JOIN pg_roles r ON r.rolname = 'plugin_hello_c'
                WHERE n.nspname = 'plugin_hello_c'
                """
            ).first
            #expect(owners?.string("schema_owner") == "plugin_hello_c")
            #expect(owners?.string("table_owner") == "plugin_hello_c")
            #expect(owners?.bool("can_login") == true)  // its statements run on its own login (PluginRoleLogin)
            // A reload re-runs nothing: the ledger already has version 1.
            let admin = try await host.adminToken()
            #expect(try await host.request(.post, "/core/plugins/reload/", as: .token(admin)).json["unchanged"] == ["hello-c"])
        }
    }
}
