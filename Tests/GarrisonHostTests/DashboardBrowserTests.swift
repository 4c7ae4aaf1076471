import AgentEmulator
import Foundation
import Logging
import Testing
@testable import GarrisonHost

/// The dashboard in a real browser: Debian's chromium and chromium-driver, driven by PyPI's
/// selenium (Tests/Fixtures/Dashboard/browser.py) against the host's real TLS listener. Each
/// scenario saves a screenshot of its end state in `outputFolder`.
@Suite(.serialized) struct DashboardBrowserTests {
    /// `$GARRISON_TEST_OUTPUT/dashboard`, by default `.build/test-output/dashboard` in the
    /// checkout: one `<scenario>.png` per scenario, replaced by each run.
    static var outputFolder: URL {
        let base = ProcessInfo.processInfo.environment["GARRISON_TEST_OUTPUT"].map { URL(fileURLWithPath: $0) }
            ?? PackagePaths.root.appendingPathComponent(".build/test-output")
        return base.appendingPathComponent("dashboard")
    }

    static var script: String { PackagePaths.root.appendingPathComponent("Tests/Fixtures/Dashboard/browser.py").path }

    /// Runs one scenario; returns its "ok ..." line.
    static func browse(_ scenario: String, port: Int, _ arguments: JSON) async throws -> String {
        let base = "https://127.0.0.1:\(port)"
        let output = outputFolder.path
        let result = try await offCooperativePool {
            try Python.run([script, scenario, base, output, String(decoding: arguments.serialized(), as: UTF8.self)])
        }
        guard result.status == 0 else { throw TestFailure("browser scenario \(scenario) failed:\n\(result.output)") }
        return result.output.split(separator: "\n").last.map(String.init) ?? ""
    }

    /// Sign-in (a wrong password shown in words first, keyboard only), the emulated agents
    /// with their status, and a client-scoped operator who does not see the other client.
    @Test func signInListsTheEmulatedAgentsAndScopeHoldsInTheBrowser() async throws {
        try await TestHost.with(configure: { $0.natsEnabled = true }) { host in
            let admin = try await host.adminToken()
            let (clientA, siteA) = try await host.client("Browser A", admin: admin)
            let (_, siteB) = try await host.client("Browser B", admin: admin)
            try await host.seedAgent("web-a-down", hostname: "a-down", site: siteA, lastSeenMinutesAgo: 10)
            try await host.seedAgent("web-a-late", hostname: "a-late", site: siteA, lastSeenMinutesAgo: 600)
            try await host.seedAgent("web-b-up", hostname: "b-up", site: siteB, lastSeenMinutesAgo: 1, type: "workstation")
            try await host.user("web-scoped", permissions: ["can_list_agents", "can_list_clients"], clients: [clientA], admin: admin)
            try await host.listening { port in
                let fleet = try AgentFleet(
                    settings: .init(target: NATSWebSocketTarget(host: "127.0.0.1", port: port)), threads: 1, logger: Logger(label: "emu"))
                let agents = try await fleet.enroll(2, site: siteA, host: "127.0.0.1", port: port, authorization: [("Authorization", "Token \(admin)")])
                let failures = await fleet.connect(agents)
                #expect(failures.isEmpty, "\(failures)")
                // The emulated agents are online once their first telemetry is written.
                try await eventually("emulated agents seen") {
                    try await host.server.storage.pool.query(
                        "SELECT count(*) AS n FROM agents WHERE site_id = $1 AND last_seen > now() - interval '1 minute'", [String(siteA)]
                    ).first?.int("n") == 2
                }
                var expect: [String: JSON] = ["a-down": "offline", "a-late": "overdue", "b-up": "online"]
                for agent in agents { expect[agent.hostname] = "online" }
                let adminRun = try await Self.browse(
                    "signin", port: port, ["user": "admin", "password": .string(host.adminPassword), "expect": .object(expect)])
                #expect(adminRun == "ok rows=5")
                expect["b-up"] = nil
                let scopedRun = try await Self.browse(
                    "signin", port: port,
                    ["user": "web-scoped", "password": "password-web-scoped", "expect": .object(expect), "absent": ["b-up", "Browser B"]])
                #expect(scopedRun == "ok rows=4")
                await fleet.shutdown()
            }
        }
    }

    /// Two-factor required: the enrollment screen (QR code and key), confirming with a code,
    /// then signing in with a TOTP code pyotp computes.
    @Test func twoFactorEnrollmentAndSignInInTheBrowser() async throws {
        let folder = try PluginsTwoFactorTests.folder()
        defer { folder.cleanUp() }
        try await TestHost.with(plugins: folder) { host in
            try await host.listening { port in
                let run = try await Self.browse("totp", port: port, ["user": "admin", "password": .string(host.adminPassword)])
                #expect(run == "ok rows=0")
            }
        }
    }

    /// An agent that goes offline changes its row within 2 s, without a reload: the status
    /// sweep raises agent.offline, /ws/dashinfo/ pushes agents.status, the row changes.
    @Test func rowTurnsOfflineLiveWithinTwoSeconds() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("Live", admin: admin)
            try await host.seedAgent("web-live-1", hostname: "live-1", site: site, lastSeenMinutesAgo: 1)
            let directory = BusTests.temporaryDirectory()
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let ready = directory.appendingPathComponent("ready")
            let go = directory.appendingPathComponent("go")
            try await host.listening { port in
                let browsing = Task {
                    try await Self.browse(
                        "live", port: port,
                        [
                            "user": "admin", "password": .string(host.adminPassword), "agent": "live-1", "agent_id": "web-live-1",
                            "ready": .string(ready.path), "go": .string(go.path),
                        ])
                }
                try await eventually("browser showing the list", timeout: .seconds(30)) { FileManager.default.fileExists(atPath: ready.path) }
                FileManager.default.createFile(atPath: go.path, contents: nil)
                try await host.server.storage.pool.query(
                    "UPDATE agents SET last_seen = now() - interval '10 minutes' WHERE agent_id = 'web-live-1'")
                #expect(try await AgentStatusWatch.sweep(pool: host.server.storage.pool, events: host.server.context.events) == 1)
                let line = try await browsing.value
                let elapsed = Double(line.replacingOccurrences(of: "ok elapsed=", with: "")) ?? 99
                #expect(elapsed < 2, "\(line)")
            }
        }
    }
}
