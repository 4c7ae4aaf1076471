import Foundation
import Testing
@testable import GarrisonHost

@Suite struct ScopeTests {
    @Test func aRoleScopedToOneClientSeesNothingElse() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (acme, acmeSite) = try await host.client("Acme", admin: admin)
            let (_, globexSite) = try await host.client("Globex", admin: admin)
            try await host.seedAgent("agent-acme", hostname: "acme-pc", site: acmeSite)
            try await host.seedAgent("agent-globex", hostname: "globex-pc", site: globexSite)
            let token = try await host.user(
                "scoped", permissions: ["can_list_clients", "can_list_sites", "can_list_agents"], clients: [acme], admin: admin)

            let clients = try await host.request(.get, "/clients/", as: .token(token)).json.arrayValue ?? []
            #expect(clients.compactMap { $0["name"]?.stringValue } == ["Acme"])
            let agents = try await host.request(.get, "/agents/", as: .token(token)).json.arrayValue ?? []
            #expect(agents.compactMap { $0["agent_id"]?.stringValue } == ["agent-acme"])
            #expect(try await host.request(.get, "/agents/agent-globex/", as: .token(token)).status == 404)
            #expect(try await host.request(.get, "/agents/agent-acme/", as: .token(token)).status == 200)
            let sites = try await host.request(.get, "/clients/sites/", as: .token(token)).json.arrayValue ?? []
            #expect(sites.compactMap { $0["client_name"]?.stringValue } == ["Acme"])
            // The unscoped admin still sees both.
            let all = try await host.request(.get, "/agents/", as: .token(admin)).json.arrayValue ?? []
            #expect(all.count == 2)
        }
    }

    @Test func aSiteScopeShowsThatSitesAgentsOnly() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (acme, hq) = try await host.client("Acme", admin: admin)
            #expect(
                try await host.request(
                    .post, "/clients/sites/", as: .token(admin), json: ["site": ["client": .init(acme), "name": "Branch"]]
                ).status == 200)
            let branch = try await host.server.storage.pool.query("SELECT id FROM sites WHERE name = 'Branch'").first!.int("id")
            try await host.seedAgent("hq-1", hostname: "hq-1", site: hq)
            try await host.seedAgent("br-1", hostname: "br-1", site: branch)
            let token = try await host.user("branchops", permissions: ["can_list_agents"], sites: [branch], admin: admin)
            let agents = try await host.request(.get, "/agents/?client=\(acme)", as: .token(token)).json.arrayValue ?? []
            #expect(agents.compactMap { $0["agent_id"]?.stringValue } == ["br-1"])
        }
    }
}
