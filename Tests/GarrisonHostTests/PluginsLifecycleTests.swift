import Foundation
import Testing
@testable import GarrisonHost

/// Live enable and disable through plugins.d: reload, the disable order, refusals, and what
/// the listing shows.
@Suite struct PluginsLifecycleTests {
    @Test func droppingAFileAndReloadingEnablesThePlugin() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-minimal.toml", fixture: "good_minimal")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            #expect(try await host.request(.get, "/hello/", as: .token(admin)).status == 404)
            try folder.add("20-hello-c.toml", fixture: "hello-c", settings: "greeting = \"late\"")
            let reload = try await host.request(.post, "/core/plugins/reload/", as: .token(admin))
            #expect(reload.status == 200)
            #expect(reload.json["loaded"] == ["hello-c"])
            #expect(reload.json["unchanged"] == ["good-minimal"])
            #expect(try await host.request(.get, "/hello/", as: .token(admin)).json["greeting"] == "late")
            #expect(try await host.request(.get, "/minimal/", as: .token(admin)).status == 200)
            let audited = try await host.server.storage.pool.query("SELECT count(*) AS n FROM audit_log WHERE object_type = 'plugins'")
                .first?.int("n")
            #expect(audited == 1)
        }
    }

    @Test func disablingDrainsCancelsShutsDownThenFrees() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-minimal.toml", fixture: "good_minimal")
        let probe = try folder.add("20-probe.toml", fixture: "probe")
        try await TestHost.with(plugins: folder, drainTimeoutMS: 300) { host in
            let admin = try await host.adminToken()
            let pool = host.server.storage.pool
            // A call that waits on a 30 s query: in flight when the plugin is disabled.
            let hanging = Task { try await host.request(.get, "/probe/hang/", as: .token(admin)) }
            let running = try await host.eventually {
                try await pool.query(
                    "SELECT count(*) AS n FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active' AND datname = current_database()"
                ).first?.int("n") == 1
            }
            #expect(running)
            try folder.add("20-probe.toml", fixture: "probe", enabled: false)
            let started = ContinuousClock.now
            let reload = try await host.request(.post, "/core/plugins/reload/", as: .token(admin))
            #expect(reload.json["disabled"] == ["probe"])
            #expect(ContinuousClock.now - started >= .milliseconds(290), "waited for the drain deadline")
            let answer = try await hanging.value
            #expect(answer.status == 503)
            #expect(answer.json["detail"]?.stringValue?.contains("disabled") == true)
            // c. the pending query completed with CANCELLED, and answering after that is CANCELLED too.
            #expect(try folder.counter(probe, "garrison_fixture_hang_done_status") == -6)
            #expect(try folder.counter(probe, "garrison_fixture_hang_respond_status") == -6)
            // d. plugin_shutdown once, e. then every free_fn once.
            #expect(try folder.counter(probe, "garrison_fixture_shutdown_calls") == 1)
            #expect(try folder.counter(probe, "garrison_fixture_free_calls") == 16)
            #expect(try folder.counter(probe, "garrison_fixture_free_after_shutdown") == 16)
            #expect(try await host.request(.get, "/probe/events/", as: .token(admin)).status == 404)
            #expect(try await host.request(.get, "/minimal/", as: .token(admin)).status == 200, "other plugins keep serving")
            let stopped = try await host.eventually {
                try await pool.query(
                    "SELECT count(*) AS n FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active' AND datname = current_database()"
                ).first?.int("n") == 0
            }
            #expect(stopped)
            let listing = try await host.request(.get, "/core/plugins/", as: .token(admin)).json.arrayValue ?? []
            #expect(listing.map { $0["state"]?.stringValue ?? "" } == ["running", "disabled"])
            #expect(listing[1]["reason"]?.stringValue?.contains("enabled = false") == true)
            #expect(listing[1]["name"] == "probe", "a disabled plugin is still listed by name")
        }
        #expect(try folder.counter(probe, "garrison_fixture_shutdown_calls") == 1, "host shutdown does not stop it twice")
    }

    @Test func removingAFileDisablesAndAddingItBackLoadsAgain() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-minimal.toml", fixture: "good_minimal")
        try folder.add("20-old.toml", fixture: "old_minor")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            try folder.remove("10-minimal.toml")
            let removed = try await host.request(.post, "/core/plugins/reload/", as: .token(admin))
            #expect(removed.json["disabled"] == ["good-minimal"])
            #expect(try await host.request(.get, "/minimal/", as: .token(admin)).status == 404)
            #expect(try await host.request(.get, "/oldminor/", as: .token(admin)).status == 200)
            let listing = try await host.request(.get, "/core/plugins/", as: .token(admin)).json.arrayValue ?? []
            #expect(listing.first?["reason"]?.stringValue?.contains("was removed") == true)

            try folder.add("10-minimal.toml", fixture: "good_minimal")
            let added = try await host.request(.post, "/core/plugins/reload/", as: .token(admin))
            #expect(added.json["loaded"] == ["good-minimal"])
            #expect(try await host.request(.get, "/minimal/", as: .token(admin)).json == ["ok": true])
        }
    }

    @Test func turningAPluginOffAndOnAgain() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-minimal.toml", fixture: "good_minimal")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            try folder.add("10-minimal.toml", fixture: "good_minimal", enabled: false)
            #expect(try await host.request(.post, "/core/plugins/reload/", as: .token(admin)).json["disabled"] == ["good-minimal"])
            #expect(try await host.request(.get, "/minimal/", as: .token(admin)).status == 404)
            // A reload that changes nothing keeps listing the disabled plugin by name.
            let quiet = try await host.request(.post, "/core/plugins/reload/", as: .token(admin))
            #expect(quiet.json["loaded"] == [] && quiet.json["disabled"] == [])
            #expect(quiet.json["plugins"]?.arrayValue?.first?["name"] == "good-minimal")
            #expect(quiet.json["plugins"]?.arrayValue?.first?["state"] == "disabled")
            try folder.add("10-minimal.toml", fixture: "good_minimal", enabled: true)
            #expect(try await host.request(.post, "/core/plugins/reload/", as: .token(admin)).json["loaded"] == ["good-minimal"])
            #expect(try await host.request(.get, "/minimal/", as: .token(admin)).json == ["ok": true])
        }
    }

    @Test func changingARunningPluginsLibraryIsRefused() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-minimal.toml", fixture: "good_minimal")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            try folder.add("10-minimal.toml", fixture: "good_minimal", libraryName: "good_minimal_v2")
            let reload = try await host.request(.post, "/core/plugins/reload/", as: .token(admin))
            let refusal = reload.json["refused"]?.arrayValue?.first?.stringValue ?? ""
            #expect(refusal.contains("good_minimal_v2.so"))
            #expect(refusal.contains("restart the host"))
            #expect(try await host.request(.get, "/minimal/", as: .token(admin)).status == 200)
        }
    }

    @Test func brokenFileOnReloadKeepsTheRunningPlugin() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-minimal.toml", fixture: "good_minimal")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            try folder.write("10-minimal.toml", "library = \n")
            let reload = try await host.request(.post, "/core/plugins/reload/", as: .token(admin))
            #expect(reload.json["refused"]?.arrayValue?.first?.stringValue?.contains("keeps running") == true)
            #expect(try await host.request(.get, "/minimal/", as: .token(admin)).status == 200)
        }
    }

    @Test func requiredPluginThatFailsRefusesStart() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-minimal.toml", fixture: "good_minimal")
        try folder.add("20-major2.toml", fixture: "bad_major2", required: true)
        await #expect { try await TestHost.with(plugins: folder) { _ in } } throws: { error in
            let text = "\(error)"
            return error is RequiredPluginFailed && text.contains("20-major2.toml") && text.contains("bad-major2")
                && text.contains("plugin ABI 2.0, host ABI \(PluginABI.version)")
        }
    }

    @Test func hangupReloads() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            let (hangups, signal) = AsyncStream<Void>.makeStream()
            let service = PluginReloadOnHangup(registry: host.server.plugins)
            let watching = Task { try await service.reload(on: hangups) }
            try folder.add("10-minimal.toml", fixture: "good_minimal")
            signal.yield()
            let served = try await host.eventually { try await host.request(.get, "/minimal/", as: .token(admin)).status == 200 }
            #expect(served)
            signal.finish()
            try await watching.value
        }
    }

    @Test func listingShowsEverythingAboutAPlugin() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        let library = try folder.add("10-probe.toml", fixture: "probe", required: true)
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            let entry = try #require(try await host.request(.get, "/core/plugins/", as: .token(admin)).json.arrayValue?.first)
            #expect(entry["name"] == "probe")
            #expect(entry["version"] == "1.0.0")
            #expect(entry["abi"] == .string(PluginABI.version))
            #expect(entry["min_host_minor"] == 1)
            #expect(entry["build_info"] == "fixture")
            #expect(entry["library"] == .string(library))
            #expect(entry["file"] == .string(folder.filePath("10-probe.toml")))
            #expect(entry["state"] == "running")
            #expect(entry["reason"] == .null)
            #expect(entry["required"] == true)
            #expect(entry["schema"] == "plugin_probe")
            #expect(entry["migrations"] == [1])
            #expect(entry["jobs"] == ["probe.report"])
            #expect(entry["subscriptions"] == ["probe.*"])
            #expect(entry["agent_handlers"] == ["probe-tag"])
            #expect(entry["auth_hook"] == true)
            #expect((entry["load_ms"]?.doubleValue ?? -1) >= 0)
            let routes = entry["routes"]?.arrayValue ?? []
            #expect(routes.count == 12)
            #expect(routes.contains(["method": "GET", "path": "/api/v3/probe/", "permission": "agent"]))
            #expect(routes.contains(["method": "GET", "path": "/probe/perm/", "permission": "plugin:probe:read"]))
        }
    }
}
