import Foundation
import Testing
@testable import GarrisonHost

/// Tactical RMM's script run history across agents and the policy overview of clients and sites.
@Suite struct HistoryOverviewTests {
    @Test func scriptHistoryIsFilteredByDatesNameAndScope() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (acme, acmeSite) = try await host.client("Acme", admin: admin)
            let (_, globexSite) = try await host.client("Globex", admin: admin)
            try await host.seedAgent("acme-1", hostname: "acme-1", site: acmeSite)
            try await host.seedAgent("globex-1", hostname: "globex-1", site: globexSite)
            let pool = host.server.storage.pool
            for (agent, name, time) in [
                ("acme-1", "Clean temp", "2026-03-01T10:00:00Z"), ("acme-1", "Clean temp", "2026-03-05T23:59:00Z"),
                ("acme-1", "Defrag", "2026-03-02T10:00:00Z"), ("globex-1", "Clean temp", "2026-03-02T10:00:00Z"),
                ("acme-1", "Clean temp", "2026-04-01T10:00:00Z"),
            ] {
                try await pool.query(
                    """
                    INSERT INTO agent_history (agent_id, type, script_name, username, time, script_results)
                    VALUES ($1, 'script_run', $2, 'admin', $3::timestamptz, '{"retcode": 0, "stdout": "ok"}')
                    """, [agent, name, time])
            }
            try await pool.query("INSERT INTO agent_history (agent_id, type, command) VALUES ('acme-1', 'cmd_run', 'dir')")

            // The end date counts whole, as in Tactical RMM.
            let march = try await host.request(.get, "/agents/scripthistory/?start=2026-03-01&end=2026-03-05", as: .token(admin))
            let rows = march.json.arrayValue ?? []
            #expect(rows.count == 4, "\(march.text)")
            #expect(rows.first?["time"] == "2026-03-05T23:59:00.000000Z")
            #expect(rows.first?["script_results"]?["stdout"] == "ok" && rows.first?["agent_id"] == "acme-1")
            let named = try await host.request(
                .get, "/agents/scripthistory/?start=2026-03-01&end=2026-03-31&scriptname=Defrag", as: .token(admin))
            #expect(named.json.arrayValue?.map { $0["script_name"] } == ["Defrag"])
            let limited = try await host.request(.get, "/agents/scripthistory/?start=2026-01-01&end=2026-12-31&limit=2", as: .token(admin))
            #expect(limited.json.arrayValue?.count == 2)
            // A role limited to Acme does not see Globex's runs.
            let scoped = try await host.user("acme-tech", permissions: ["can_list_agent_history"], clients: [acme], admin: admin)
            let visible = try await host.request(.get, "/agents/scripthistory/?start=2026-03-01&end=2026-03-31", as: .token(scoped))
            #expect(visible.json.arrayValue?.allSatisfy { $0["agent_id"] == "acme-1" } == true && visible.json.arrayValue?.count == 3)
            // Missing or malformed dates are named.
            for query in ["", "?start=2026-03-01", "?start=yesterday&end=2026-03-01", "?start=2026-03-01&end=2026-03-01';--"] {
                let bad = try await host.request(.get, "/agents/scripthistory/\(query)", as: .token(admin))
                #expect(bad.status == 400 && bad.text.contains("start and end"), "\(query): \(bad.text)")
            }
        }
    }

    @Test func thePolicyOverviewShowsEachClientsAndSitesPolicies() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (acme, acmeSite) = try await host.client("Acme", admin: admin)
            let (_, _) = try await host.client("Globex", admin: admin)
            let created = try await host.request(.post, "/automation/policies/", as: .token(admin), json: ["name": "Servers baseline"])
            #expect(created.status == 200, "\(created.text)")
            let policy = try await host.server.storage.pool.query("SELECT id FROM policies WHERE name = 'Servers baseline'").first!.int(
                "id")
            #expect(
                try await host.request(.put, "/clients/\(acme)/", as: .token(admin), json: ["client": ["server_policy": .init(policy)]])
                    .status
                    == 200)
            #expect(
                try await host.request(
                    .put, "/clients/sites/\(acmeSite)/", as: .token(admin), json: ["site": ["workstation_policy": .init(policy)]]
                ).status == 200)
            let overview = try await host.request(.get, "/automation/policies/overview/", as: .token(admin)).json.arrayValue ?? []
            #expect(overview.map { $0["name"] } == ["Acme", "Globex"])
            let acmeEntry = try #require(overview.first)
            #expect(acmeEntry["pk"] == .init(acme) && acmeEntry["server_policy"]?["name"] == "Servers baseline")
            #expect(acmeEntry["workstation_policy"] == .null)
            #expect(acmeEntry["sites"]?[0]?["workstation_policy"]?["id"] == .init(policy))
            #expect(acmeEntry["sites"]?[0]?["server_policy"] == .null)
            let scoped = try await host.user("acme-viewer", permissions: ["can_list_automation_policies"], clients: [acme], admin: admin)
            let visible = try await host.request(.get, "/automation/policies/overview/", as: .token(scoped)).json.arrayValue ?? []
            #expect(visible.map { $0["name"] } == ["Acme"])
        }
    }
}
