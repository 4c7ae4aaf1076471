import Foundation
import Testing
@testable import GarrisonHost

@Suite struct AgentListTests {
    @Test func filtersPagingAndStatusWorkServerSide() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (acme, acmeSite) = try await host.client("Acme", admin: admin)
            let (_, globexSite) = try await host.client("Globex", admin: admin)
            for index in 0..<7 {
                try await host.seedAgent(
                    "a\(index)", hostname: "acme-\(index)", site: acmeSite, type: index % 2 == 0 ? "server" : "workstation")
            }
            try await host.seedAgent("g0", hostname: "globex-0", site: globexSite, lastSeenMinutesAgo: 60)
            try await host.seedAgent("g1", hostname: "globex-1", site: globexSite, lastSeenMinutesAgo: 10)

            let page = try await host.request(.get, "/agents/?client=\(acme)&page=2&page_size=3", as: .token(admin))
            #expect(page.json["count"] == 7)
            #expect(page.json["results"]?.arrayValue?.compactMap { $0["hostname"]?.stringValue } == ["acme-3", "acme-4", "acme-5"])
            let servers =
                try await host.request(.get, "/agents/?client=\(acme)&monitoring_type=workstation", as: .token(admin)).json.arrayValue ?? []
            #expect(servers.count == 3)
            let overdue = try await host.request(.get, "/agents/?status=overdue", as: .token(admin)).json.arrayValue ?? []
            #expect(overdue.compactMap { $0["agent_id"]?.stringValue } == ["g0"])
            let offline = try await host.request(.get, "/agents/?status=offline", as: .token(admin)).json.arrayValue ?? []
            #expect(offline.compactMap { $0["agent_id"]?.stringValue } == ["g1"])
            let search = try await host.request(.get, "/agents/?search=GLOBEX-1", as: .token(admin)).json.arrayValue ?? []
            #expect(search.compactMap { $0["agent_id"]?.stringValue } == ["g1"])
            // A search string with LIKE wildcards matches them literally.
            let literal = try await host.request(.get, "/agents/?search=%25", as: .token(admin)).json.arrayValue ?? []
            #expect(literal.isEmpty)
        }
    }

    @Test func editingAnAgentValidatesIntervalsAndIsAudited() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("Acme", admin: admin)
            try await host.seedAgent("a1", hostname: "pc-1", site: site)
            let zero = try await host.request(.put, "/agents/a1/", as: .token(admin), json: ["check_interval": 0])
            #expect(zero.status == 400)
            #expect(zero.json["detail"]?.stringValue?.contains("check_interval") == true)
            let ok = try await host.request(
                .put, "/agents/a1/", as: .token(admin),
                json: ["description": "front desk", "check_interval": 300, "monitoring_type": "workstation"])
            #expect(ok.status == 200)
            #expect(ok.json["description"] == "front desk")
            #expect(ok.json["check_interval"] == 300)
            let audit = try await host.request(
                .patch, "/logs/audit/", as: .token(admin), json: ["agentFilter": ["a1"], "actionFilter": ["modify"]])
            let entry = audit.json["audit_logs"]?.arrayValue?.first
            #expect(entry?["before_value"]?["check_interval"] == 120)
            #expect(entry?["after_value"]?["check_interval"] == 300)
            #expect(entry?["username"] == "admin")
        }
    }

    @Test func deletingAClientWithAgentsNeedsADestination() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (acme, site) = try await host.client("Acme", admin: admin)
            let (_, target) = try await host.client("Globex", admin: admin)
            try await host.seedAgent("a1", hostname: "pc-1", site: site)
            let refused = try await host.request(.delete, "/clients/\(acme)/", as: .token(admin))
            #expect(refused.status == 400)
            #expect(refused.json["detail"]?.stringValue?.contains("move_to_site") == true)
            #expect(try await host.request(.delete, "/clients/\(acme)/?move_to_site=\(target)", as: .token(admin)).status == 200)
            let moved = try await host.request(.get, "/agents/a1/", as: .token(admin))
            #expect(moved.json["site"] == .init(target))
        }
    }
}
