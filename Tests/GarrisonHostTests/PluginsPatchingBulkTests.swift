import AgentEmulator
import Foundation
import Logging
import Testing
@testable import GarrisonHost

/// Bulk patch runs over a fleet: `/agents/actions/bulk/` with `"mode": "patch"` on 1,000
/// emulated Windows agents (the AgentEmulator library, all on one event loop group, over
/// wss /natsws), each of which must get the scan once and then the install once, with the
/// updates its policy approves.
@Suite struct PluginsPatchingBulkTests {
    static let fleetSize = 1_000

    @Test func bulkScanAndInstall_onAThousandEmulatedAgents_reachEachAgentOnce() async throws {
        let folder = try PluginsPatchingTests.folder(scripting: true)
        defer { folder.cleanUp() }
        try await TestHost.with(configure: { config in
            config.pluginsDirectory = folder.path
            config.pluginCallTimeoutMS = 20_000
            config.natsEnabled = true
        }) { host in
            let admin = try await host.adminToken()
            let (client, site) = try await host.client("Fleet Patch", admin: admin)
            let pool = host.server.storage.pool
            let bus = try #require(host.server.bus)

            // Agents seeded as rows with their NATS users (1,000 enrollments would be 1,000
            // nats-server reloads), then one reload.
            let identities = (0..<Self.fleetSize).map { _ in
                AgentIdentity(agentID: AgentIdentity.newAgentID(), token: Crypto.randomHex(bytes: 20))
            }
            for chunk in stride(from: 0, to: identities.count, by: 250) {
                let values = identities[chunk..<min(chunk + 250, identities.count)].map { agent in
                    // Generated letters and hex only: safe to inline.
                    "('\(agent.agentID)', '\(agent.hostname)', \(site), \(client), 'server', 'windows', '2.9.1', '\(Crypto.sha256Hex(agent.token))', '\(NATSPassword.hash(agent.token) ?? "")', now())"
                }.joined(separator: ",")
                try await pool.query(
                    """
                    INSERT INTO agents (agent_id, hostname, site_id, client_id, monitoring_type, plat, version, token_digest, nats_password, last_seen)
                    VALUES \(values)
                    """)
            }
            await bus.agentsChanged()
            // What a scan would have stored: one critical and one optional update per agent.
            try await pool.query(
                """
                INSERT INTO plugin_winupdate.updates (agent_id, agent_pk, guid, kb, title, severity)
                SELECT a.agent_id, a.id, u.guid || a.id, u.kb, u.kb, u.severity FROM agents a,
                    (VALUES ('crit-', 'KB1', 'Critical'), ('opt-', 'KB2', '')) AS u(guid, kb, severity)
                WHERE a.client_id = $1
                """, [String(client)])
            let policy = try await host.request(.post, "/automation/policies/", as: .token(admin), json: ["name": "Fleet", "active": true])
            #expect(policy.status == 200, "\(policy.text)")
            let policyID = try await pool.query("SELECT id FROM policies WHERE name = 'Fleet'").first!.int("id")
            let assign = try await host.request(
                .put, "/clients/\(client)/", as: .token(admin), json: ["client": ["server_policy": .init(policyID)]])
            #expect(assign.status == 200, "\(assign.text)")
            let patchPolicy = try await host.request(
                .post, "/automation/patchpolicy/", as: .token(admin), json: ["policy": .init(policyID), "critical": "approve"])
            #expect(patchPolicy.status == 200, "\(patchPolicy.text)")

            try await host.listening { port in
                var settings = AgentFleet.Settings(target: NATSWebSocketTarget(host: "127.0.0.1", port: port))
                settings.connectsPerSecond = 1_000
                let fleet = try AgentFleet(settings: settings, threads: 1, logger: Logger(label: "patch-fleet"))
                fleet.stats.recordsCommands.store(true, ordering: .relaxed)
                let failures = await fleet.connect(identities)
                #expect(failures.isEmpty, "\(failures.prefix(3))")
                let everyone = Set(identities.map(\.agentID))

                let scan = try await host.request(
                    .post, "/agents/actions/bulk/", as: .token(admin),
                    json: ["mode": "patch", "patchMode": "scan", "target": "client", "client": .init(client), "monType": "all", "osType": "all"])
                #expect(scan.status == 200 && scan.json["total"]?.intValue == Self.fleetSize, "\(scan.text)")
                try await eventually("every agent got getwinupdates", timeout: .seconds(90)) {
                    Set(fleet.stats.received("getwinupdates").keys) == everyone
                }
                #expect(fleet.stats.received("getwinupdates").values.allSatisfy { $0 == 1 })

                let install = try await host.request(
                    .post, "/agents/actions/bulk/", as: .token(admin),
                    json: ["mode": "patch", "patchMode": "install", "target": "client", "client": .init(client), "monType": "all", "osType": "all"])
                #expect(install.status == 200 && install.json["total"]?.intValue == Self.fleetSize, "\(install.text)")
                try await eventually("every agent got installwinupdates", timeout: .seconds(120)) {
                    Set(fleet.stats.received("installwinupdates").keys) == everyone
                }
                #expect(fleet.stats.received("installwinupdates").values.allSatisfy { $0 == 1 })
                #expect(fleet.stats.received("getwinupdates").values.allSatisfy { $0 == 1 }, "a scan was sent twice")
                // The policy approved exactly each agent's critical update, nothing else.
                let approved = try await pool.query(
                    "SELECT count(*) FILTER (WHERE action = 'approve')::int AS a, count(*) FILTER (WHERE action = 'approve' AND guid LIKE 'crit-%')::int AS c FROM plugin_winupdate.updates"
                ).first!
                #expect(approved.int("a") == Self.fleetSize && approved.int("c") == Self.fleetSize)
                await fleet.shutdown()
            }
        }
    }
}
