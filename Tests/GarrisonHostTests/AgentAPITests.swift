import Foundation
import Testing
@testable import GarrisonHost

/// The agent's REST calls the host answers: enrollment, check-in config, checkin.
@Suite struct AgentAPITests {
    static func enrollBody(_ agentID: String, site: Int) -> JSON {
        // Keys as the installer sends them (alphabetical, as observed).
        [
            "agent_id": .string(agentID), "description": "", "goarch": "amd64", "hostname": "web-1", "mesh_node_id": "",
            "monitoring_type": "server", "plat": "linux", "site": .init(site),
        ]
    }

    @Test(arguments: ["none", "garbage token"])
    func config_isAlways200WithPositiveIntervals(_ credential: String) async throws {
        try await TestHost.with { host in
            let reply = try await host.request(
                .get, "/api/v3/\(BusTests.agentID())/config/", as: credential == "none" ? .none : .token("nope"))
            #expect(reply.status == 200)
            for (key, range) in AgentCheckInConfig.ranges {
                let value = try #require(reply.json[key]?.intValue, "\(key)")
                #expect(range.contains(value) && value > 0, "\(key) = \(value)")
            }
            for key in ["limit_data", "install_nushell", "nushell_enable_config", "install_deno"] {
                #expect(reply.json[key]?.boolValue != nil, "\(key)")
            }
            for key in [
                "install_nushell_version", "install_nushell_url", "install_deno_version", "install_deno_url", "deno_default_permissions",
            ] {
                #expect(reply.json[key]?.stringValue != nil, "\(key)")
            }
        }
    }

    @Test func newagent_returnsPkAndToken_andTheTokenAuthenticatesTheAgent() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("Enroll", admin: admin)
            let agentID = BusTests.agentID()
            let enrolled = try await host.request(.post, "/api/v3/newagent/", as: .token(admin), json: Self.enrollBody(agentID, site: site))
            #expect(enrolled.status == 200, "\(enrolled.text)")
            let token = try #require(enrolled.json["token"]?.stringValue)
            #expect(token.count == 40 && token.allSatisfy(\.isHexDigit))
            let row = try #require(
                try await host.server.storage.pool.query(
                    "SELECT id, hostname, plat, nats_password, last_seen IS NOT NULL AS seen FROM agents WHERE agent_id = $1", [agentID]
                ).first)
            #expect(enrolled.json["pk"]?.intValue == row.int("id"))
            #expect(row.string("hostname") == "web-1" && row.string("plat") == "linux" && row.bool("seen"))
            #expect(NATSPassword.verify(token, row.string("nats_password")))

            let again = try await host.request(.post, "/api/v3/newagent/", as: .token(admin), json: Self.enrollBody(agentID, site: site))
            #expect(again.status == 400)

            #expect(try await host.request(.post, "/api/v3/checkin/", as: .token(token), json: ["agent_id": .string(agentID)]).json == "ok")
            #expect(try await host.request(.post, "/api/v3/checkin/", as: .token(token), json: ["agent_id": "someoneElse"]).status == 403)
            #expect(try await host.request(.post, "/api/v3/checkin/", json: ["agent_id": .string(agentID)]).status == 401)
            #expect(
                try await host.request(.post, "/api/v3/checkin/", as: .token(admin), json: ["agent_id": .string(agentID)]).status == 401)
        }
    }

    @Test func newagent_refusesBadInputAndCallersWithoutThePermission() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("Refuse", admin: admin)
            #expect(try await host.request(.post, "/api/v3/newagent/", json: Self.enrollBody(BusTests.agentID(), site: site)).status == 401)
            let viewer = try await host.user("viewer", permissions: ["can_list_agents"], admin: admin)
            #expect(
                try await host.request(
                    .post, "/api/v3/newagent/", as: .token(viewer), json: Self.enrollBody(BusTests.agentID(), site: site)
                ).status == 403)
            #expect(
                try await host.request(
                    .post, "/api/v3/newagent/", as: .token(admin), json: Self.enrollBody(BusTests.agentID(), site: site + 1000)
                ).status == 400)
            #expect(
                try await host.request(.post, "/api/v3/newagent/", as: .token(admin), json: Self.enrollBody("a.b", site: site)).status
                    == 400)
        }
    }
}
