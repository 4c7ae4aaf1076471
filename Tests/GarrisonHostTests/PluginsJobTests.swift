import Foundation
import Testing
@testable import GarrisonHost

/// Plugin job kinds on the durable scheduler, through the C ABI (the probe fixture).
@Suite struct PluginsJobTests {
    @Test func aPluginsJobKindRunsOnTheSchedulerAndItsSchedulesAreItsOwn() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("20-probe.toml", fixture: "probe")
        try await TestHost.with(plugins: folder) { host in
            #expect(host.server.jobs.kinds.contains("probe:probe.report"))
            let scheduler = host.server.scheduler
            let running = Task { try await scheduler.run() }
            defer { running.cancel() }
            let runID = try await scheduler.store.enqueue(owner: "probe", kind: "probe:probe.report", payload: ["n": 1])
            scheduler.poke()
            let done = try await host.eventually(10) {
                try await host.server.storage.pool.query("SELECT state FROM job_runs WHERE id = $1", [String(runID)]).first?["state"]
                    == "succeeded"
            }
            #expect(done)
            // schedule_upsert from the plugin lands under the plugin's name, with its own kind.
            let admin = try await host.adminToken()
            _ = try await host.request(.get, "/probe/calls/x/", as: .token(admin))
            let schedules = try await host.request(.get, "/core/jobs/", as: .token(admin)).json.arrayValue ?? []
            let ids = schedules.compactMap { $0["owner"] == "probe" ? $0["id"]?.stringValue : nil }
            // The probe upserts "a" and cancels it right away; whichever order they land in,
            // nothing of the probe's is left under another owner's name.
            #expect(ids.allSatisfy { $0.hasPrefix("probe:") })
            // Disabling the plugin takes its kind off this host.
            try folder.remove("20-probe.toml")
            _ = try await host.request(.post, "/core/plugins/reload/", as: .token(admin))
            #expect(!host.server.jobs.kinds.contains("probe:probe.report"))
            running.cancel()
            _ = try? await running.value
        }
    }
}
