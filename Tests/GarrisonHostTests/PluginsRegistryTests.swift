import Foundation
import Logging
import Testing
@testable import GarrisonHost

/// Loading whole plugins.d folders without a database (as `garrison plugins` does): init
/// failures, duplicates, and what the listing says.
@Suite struct PluginsRegistryTests {
    static func config(_ folder: PluginFolder) -> GarrisonConfig {
        var config = GarrisonConfig()
        config.pluginsDirectory = folder.path
        config.pluginDrainTimeoutMS = 200
        return config
    }

    @Test func failingInitIsRolledBackAndItsFreeFnRunsOnce() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        let library = try folder.add("10-bad-init.toml", fixture: "bad_init_fails")
        let (logger, logs) = CapturingLogHandler.logger()
        let dry = DryPluginHost(config: Self.config(folder), logger: logger)
        try await dry.plugins.loadAll()
        let entry = try #require(await dry.plugins.listing().first)
        #expect(entry["state"] == "failed")
        #expect(entry["code"] == "initFailed")
        #expect(entry["reason"]?.stringValue?.contains("plugin_init returned GARRISON_ERR_INTERNAL") == true)
        #expect(entry["reason"]?.stringValue?.contains("rolled back") == true)
        #expect(entry["routes"]?.arrayValue?.count == 1, "the listing still shows what init tried to register")
        #expect(!dry.dispatcher.routes.contains { $0.pattern == "/badinit/" })
        #expect(try folder.counter(library, "garrison_fixture_free_calls") == 1)
        // One line from the host (the plugin logged its own reason too, as a plugin line).
        let hostLines = logs.errors(mentioning: "10-bad-init.toml")
        #expect(hostLines.count == 1)
        #expect(hostLines.first?.message.contains("plugin ABI \(PluginABI.version), host ABI \(PluginABI.version)") == true)
        await dry.shutdown()
        #expect(try folder.counter(library, "garrison_fixture_free_calls") == 1, "free_fn runs exactly once")
    }

    @Test func duplicateNameAndRouteAreRefusedAndTheFirstKeepsItsRoutes() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-good.toml", fixture: "good_minimal")
        try folder.add("20-dup-name.toml", fixture: "dup_name")
        try folder.add("30-dup-route.toml", fixture: "dup_route")
        let (logger, logs) = CapturingLogHandler.logger()
        let dry = DryPluginHost(config: Self.config(folder), logger: logger)
        try await dry.plugins.loadAll()
        let listing = await dry.plugins.listing()
        #expect(listing.map { $0["state"]?.stringValue } == ["running", "failed", "failed"])
        #expect(listing[1]["code"] == "duplicateName")
        #expect(listing[1]["reason"]?.stringValue?.contains("a plugin named good-minimal is already loaded") == true)
        #expect(listing[2]["code"] == "initFailed")
        #expect(listing[2]["reason"]?.stringValue?.contains("GARRISON_ERR_CONFLICT") == true)
        #expect(
            listing[2]["reason"]?.stringValue?.contains("route GET /minimal/ from dup-route is already registered by good-minimal") == true)
        let minimal = dry.dispatcher.routes.filter { $0.pattern == "/minimal/" }
        #expect(minimal.count == 1 && minimal.first?.owner == "good-minimal")
        #expect(!dry.dispatcher.routes.contains { $0.pattern == "/dupname/" })
        #expect(logs.errors(mentioning: "20-dup-name.toml").count == 1)
        #expect(logs.errors(mentioning: "30-dup-route.toml").count == 1)
        await dry.shutdown()
    }

    @Test func inspectListsRegistrationsWithoutADatabase() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-hello.toml", fixture: "hello-c", settings: "greeting = \"hi\"")
        try folder.add("20-probe.toml", fixture: "probe")
        try folder.add("30-off.toml", fixture: "good_minimal", enabled: false)
        try folder.write("40-broken.toml", "library = ")
        let listing = await GarrisonHostServer.inspectPlugins(config: Self.config(folder), logger: Logger(label: "t"))
        #expect(listing.count == 4)
        let hello = listing[0]
        #expect(hello["name"] == "hello-c")
        #expect(hello["state"] == "running")
        #expect(hello["abi"] == .string(PluginABI.version))
        #expect(hello["min_host_minor"] == 0)
        #expect(hello["migrations"] == [1])
        #expect(hello["subscriptions"] == ["agent.*"])
        #expect(hello["auth_hook"] == false)
        #expect(
            hello["routes"] == [
                ["method": "GET", "path": "/hello/", "permission": "can_view_core_settings"],
                ["method": "POST", "path": "/hello/<name>/", "permission": "can_edit_core_settings"],
            ])
        #expect(hello["load_ms"]?.doubleValue != nil)
        let probe = listing[1]
        #expect(probe["jobs"] == ["probe.report"])
        #expect(probe["agent_handlers"] == ["probe-tag"])
        #expect(probe["auth_hook"] == true)
        #expect(
            probe["routes"]?.arrayValue?.contains([
                "method": "GET", "path": "/probe/scoped/", "permission": "authenticated", "scopes": ["2fa-enroll", "other"],
            ]) == true)
        #expect(listing[2]["state"] == "disabled")
        #expect(listing[3]["state"] == "failed")
        #expect(listing[3]["code"] == "badFile")
    }

    @Test func missingFolderIsSkippedSilently() async throws {
        var config = GarrisonConfig()
        config.pluginsDirectory = "/nonexistent/plugins.d"
        let listing = await GarrisonHostServer.inspectPlugins(config: config, logger: Logger(label: "t"))
        #expect(listing.isEmpty)
    }
}
