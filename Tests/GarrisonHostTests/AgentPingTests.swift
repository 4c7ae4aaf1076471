import Foundation
import Testing
@testable import GarrisonHost

/// `GET /agents/<agent_id>/ping/` end to end: operator route → host → nats-server → a
/// third-party NATS client (nats-py) answering as the agent → back.
@Suite struct AgentPingTests {
    @Test func pingAnswersOnlineWhileTheAgentListensAndOfflineAfter() async throws {
        try await TestHost.withAgentActions(configure: { $0.natsEnabled = true }) { host in
            let bus = try #require(host.server.bus)
            let supervisor = try #require(bus.supervisor)
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("Ping", admin: admin)
            let agent = BusTests.agentID()
            let token = try await BusTests.seedAgent(host, agent, site: site)
            await bus.agentsChanged()
            let directory = BusTests.temporaryDirectory()
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let ready = directory.appendingPathComponent("ready")
            let python = try #require(Subprocess.which("python3"))
            // Answers exactly one request, then exits.
            let pid = try ChildProcess.spawn(
                python, [Python.fakeAgent, supervisor.url, agent, token, "serve", agent, "1", ready.path],
                logFile: directory.appendingPathComponent("agent.log"))
            try await eventually("fake agent subscribed") { FileManager.default.fileExists(atPath: ready.path) }

            let online = try await host.request(.get, "/agents/\(agent)/ping/", as: .token(admin))
            #expect(online.status == 200)
            #expect(online.json == ["name": "seeded", "status": "online"])
            var status: Int32 = 0
            waitpid(pid, &status, 0)

            let offline = try await host.request(.get, "/agents/\(agent)/ping/", as: .token(admin))
            #expect(offline.json["status"] == "offline")
            #expect(offline.json["reason"] == "timeout")
            #expect(try await host.request(.get, "/agents/nope/ping/", as: .token(admin)).status == 404)
        }
    }

    @Test func withoutABusPingSaysNATSIsDown() async throws {
        try await TestHost.withAgentActions { host in
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("NoBus", admin: admin)
            try await host.seedAgent("quiet", hostname: "quiet-pc", site: site)
            let reply = try await host.request(.get, "/agents/quiet/ping/", as: .token(admin))
            #expect(reply.json == ["name": "quiet-pc", "status": "offline", "reason": "natsdown"])
            let denied = try await host.user("nolist", permissions: ["can_list_clients"], admin: admin)
            #expect(try await host.request(.get, "/agents/quiet/ping/", as: .token(denied)).status == 403)
        }
    }
}
