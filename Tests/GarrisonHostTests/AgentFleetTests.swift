import Foundation
import Testing
@testable import GarrisonHost

/// Tactical RMM's fleet routes: the versions overview, the short agent list and maintenance
/// mode for a whole client or site, each within the caller's scope.
@Suite struct AgentFleetTests {
    @Test func maintenanceModeFlipsAClientsOrSitesAgentsWithinTheScope() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (acme, acmeHQ) = try await host.client("Acme", admin: admin)
            let acmeBranch = try await host.request(
                .post, "/clients/sites/", as: .token(admin), json: ["site": ["client": .init(acme), "name": "Branch"]])
            #expect(acmeBranch.status == 200, "\(acmeBranch.text)")
            let branch = try await host.server.storage.pool.query("SELECT id FROM sites WHERE name = 'Branch'").first!.int("id")
            let (globex, globexSite) = try await host.client("Globex", admin: admin)
            try await host.seedAgent("hq-1", hostname: "hq-1", site: acmeHQ)
            try await host.seedAgent("hq-2", hostname: "hq-2", site: acmeHQ)
            try await host.seedAgent("branch-1", hostname: "branch-1", site: branch)
            try await host.seedAgent("globex-1", hostname: "globex-1", site: globexSite)
            func inMaintenance() async throws -> Set<String> {
                Set(
                    try await host.server.storage.pool.query("SELECT agent_id FROM agents WHERE maintenance_mode ORDER BY agent_id").rows
                        .map {
                            $0.string("agent_id")
                        })
            }

            let on = try await host.request(
                .post, "/agents/maintenance/bulk/", as: .token(admin), json: ["type": "Client", "id": .init(acme), "action": true])
            #expect(on.json == "Maintenance mode has been enabled on 3 agents", "\(on.text)")
            #expect(try await inMaintenance() == ["hq-1", "hq-2", "branch-1"])
            let off = try await host.request(
                .post, "/agents/maintenance/bulk/", as: .token(admin), json: ["type": "Site", "id": .init(branch), "action": false])
            #expect(off.json == "Maintenance mode has been disabled on 1 agents", "\(off.text)")
            #expect(try await inMaintenance() == ["hq-1", "hq-2"])

            // A role limited to the branch site may act on Acme: only the branch's agents change.
            let branchTech = try await host.user(
                "branch-tech", permissions: ["can_edit_agent", "can_list_agents"], sites: [branch], admin: admin)
            let scoped = try await host.request(
                .post, "/agents/maintenance/bulk/", as: .token(branchTech), json: ["type": "Client", "id": .init(acme), "action": true])
            #expect(scoped.json == "Maintenance mode has been enabled on 1 agents", "\(scoped.text)")
            #expect(try await inMaintenance() == ["hq-1", "hq-2", "branch-1"])
            // Globex does not exist for it.
            let hidden = try await host.request(
                .post, "/agents/maintenance/bulk/", as: .token(branchTech), json: ["type": "Client", "id": .init(globex), "action": true])
            #expect(hidden.status == 404, "\(hidden.text)")
            #expect(try await inMaintenance().contains("globex-1") == false)

            // An empty site: Tactical RMM's text; bad input: its "Invalid data" and a named field.
            let emptySite = try await host.request(
                .post, "/clients/sites/", as: .token(admin), json: ["site": ["client": .init(globex), "name": "Empty"]])
            #expect(emptySite.status == 200)
            let empty = try await host.server.storage.pool.query("SELECT id FROM sites WHERE name = 'Empty'").first!.int("id")
            let nothing = try await host.request(
                .post, "/agents/maintenance/bulk/", as: .token(admin), json: ["type": "Site", "id": .init(empty), "action": true])
            #expect(nothing.json == "No agents have been put in maintenance mode. You might not have permissions to the resources.")
            let badType = try await host.request(
                .post, "/agents/maintenance/bulk/", as: .token(admin), json: ["type": "Agent", "id": 1, "action": true])
            #expect(badType.status == 400 && badType.text.contains("Invalid data"))
            let noAction = try await host.request(
                .post, "/agents/maintenance/bulk/", as: .token(admin), json: ["type": "Site", "id": .init(branch)])
            #expect(noAction.status == 400 && noAction.text.contains("action"))
            let hugeID = try await host.request(
                .post, "/agents/maintenance/bulk/", as: .token(admin), json: ["type": "Site", "id": 1e30, "action": true])
            #expect(hugeID.status == 400)

            // The versions overview and the short list, both scoped.
            let versions = try await host.request(.get, "/agents/versions/", as: .token(branchTech))
            #expect(versions.json["versions"] == ["2.9.1"], "\(versions.text)")
            #expect(
                versions.json["agents"] == [
                    [
                        "id": .init(try await agentPK(host, "branch-1")), "agent_id": "branch-1", "hostname": "branch-1", "client": "Acme",
                        "site": "Branch",
                    ]
                ])
            let short = try await host.request(.get, "/agents/?detail=false", as: .token(admin)).json.arrayValue ?? []
            #expect(
                short.count == 4
                    && short.allSatisfy {
                        Set($0.objectValue.map { Array($0.keys) } ?? []) == ["id", "agent_id", "hostname", "client", "site"]
                    })
            #expect(try await host.request(.get, "/core/clearcache/", as: .token(admin)).json == "Cache was cleared!")
            #expect(try await host.request(.get, "/core/clearcache/", as: .token(branchTech)).status == 403)
        }
    }

    func agentPK(_ host: TestHost, _ agentID: String) async throws -> Int {
        try await host.server.storage.pool.query("SELECT id FROM agents WHERE agent_id = $1", [agentID]).first!.int("id")
    }
}
