import Foundation
import Testing
@testable import GarrisonHost

/// Installer tokens, install commands and deployment links, used the way the agent's
/// installer uses them (docs/agent-protocol.md §8): GET/POST /api/v3/installer/, then newagent.
@Suite struct InstallerTests {
    @Test func installerToken_enrollsAnAgent_andCanDoNothingElse() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (client, site) = try await host.client("Install", admin: admin)
            let made = try await host.request(
                .post, "/agents/installer/", as: .token(admin),
                json: [
                    "installMethod": "manual", "client": .init(client), "site": .init(site), "expires": 2, "agenttype": "workstation",
                    "goarch": "amd64", "plat": "linux", "ping": 1,
                ])
            #expect(made.status == 200, "\(made.text)")
            let token = try #require(made.json["token"]?.stringValue)
            #expect(token.count == 64)
            let linux = try #require(made.json["linux"]?.stringValue)
            #expect(
                linux.contains("-m install --api https://localhost:")
                    && linux.contains("--client-id \(client) --site-id \(site) --agent-type workstation --auth \(token)"))
            #expect(made.json["cmd"]?.stringValue == linux)
            #expect(
                made.json["windows"]?.stringValue?.contains("tacticalrmm.exe\" -m install") == true
                    && made.json["windows"]?.stringValue?.contains("--ping") == true)

            #expect(try await host.request(.get, "/api/v3/installer/", as: .token(token)).json == "ok")
            #expect(try await host.request(.post, "/api/v3/installer/", as: .token(token), json: ["version": "2.9.1"]).json == "ok")
            #expect(try await host.request(.post, "/api/v3/installer/", as: .token(token), json: ["version": "2.8.0"]).status == 400)
            let agentID = BusTests.agentID()
            let enrolled = try await host.request(
                .post, "/api/v3/newagent/", as: .token(token), json: AgentAPITests.enrollBody(agentID, site: site))
            #expect(enrolled.status == 200, "\(enrolled.text)")
            // Limited to enrollment: the operator API refuses it.
            #expect(try await host.request(.get, "/agents/", as: .token(token)).status == 403)
            #expect(try await host.request(.post, "/agents/installer/", as: .token(token), json: ["site": .init(site)]).status == 403)
            // Expired: the installer sees 401, the one answer it treats specially.
            try await host.server.storage.pool.query(
                "UPDATE auth_tokens SET expiry = now() - interval '1 second' WHERE scope = 'installer'")
            host.server.context.authenticator.invalidateAll()
            #expect(try await host.request(.get, "/api/v3/installer/", as: .token(token)).status == 401)

            #expect(
                try await host.request(.post, "/agents/installer/", as: .token(admin), json: ["installMethod": "exe", "site": .init(site)])
                    .status == 400)
            #expect(
                try await host.request(.post, "/agents/installer/", as: .token(admin), json: ["site": .init(site), "goarch": "sparc"])
                    .status == 400)
            #expect(
                try await host.request(.post, "/agents/installer/", as: .token(admin), json: ["site": .init(site), "expires": 0]).status
                    == 400)
            let script = try await host.request(
                .post, "/agents/installer/", as: .token(admin), json: ["installMethod": "bash", "site": .init(site)])
            #expect(script.status == 200 && script.text.hasPrefix("#!/bin/sh") && script.text.contains("--site-id \(site)"))
        }
    }

    @Test func deploymentLinks_giveAScriptUntilTheyExpireOrAreDeleted() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("Deploy", admin: admin)
            let created = try await host.request(
                .post, "/clients/deployments/", as: .token(admin),
                json: [
                    "site": .init(site), "agenttype": "server", "arch": "arm64",
                    "expires": .string(Date().addingTimeInterval(86400).iso8601), "install_flags": ["rdp": true],
                ])
            #expect(created.status == 200, "\(created.text)")
            let uid = try #require(created.json["uid"]?.stringValue)
            let listed = try await host.request(.get, "/clients/deployments/", as: .token(admin))
            #expect(listed.json.arrayValue?.first?["arch"] == "arm64")

            // Anonymous, as the link is the secret; each download carries a fresh installer token.
            let script = try await host.request(.get, "/clients/\(uid)/deploy/")
            #expect(script.status == 200 && script.text.contains("--site-id \(site)") && script.text.contains("-arm64"))
            let token = try #require(script.text.components(separatedBy: "--auth ").last?.prefix(64)).description
            #expect(try await host.request(.get, "/api/v3/installer/", as: .token(token)).status == 200)
            let windows = try await host.request(.get, "/clients/\(uid)/deploy/?plat=windows")
            #expect(windows.text.contains("--rdp"))
            #expect(try await host.request(.get, "/clients/\(UUID().uuidString)/deploy/").status == 404)
            #expect(try await host.request(.get, "/clients/not-a-uuid/deploy/").status == 404)

            let id = try #require(created.json["id"]?.intValue)
            #expect(try await host.request(.delete, "/clients/deployments/\(id)/", as: .token(admin)).status == 200)
            #expect(try await host.request(.get, "/api/v3/installer/", as: .token(token)).status == 401)
            #expect(try await host.request(.get, "/clients/\(uid)/deploy/").status == 404)

            let past = try await host.request(
                .post, "/clients/deployments/", as: .token(admin), json: ["site": .init(site), "expires": "2001-01-01T00:00"])
            #expect(past.status == 400)
            try await host.server.storage.pool.query(
                """
                INSERT INTO deployments (uid, site_id, expiry, created_by) SELECT '00000000-0000-4000-8000-000000000001', $1, now() - interval '1 minute', id FROM users WHERE username = 'admin'
                """, [String(site)])
            #expect(try await host.request(.get, "/clients/00000000-0000-4000-8000-000000000001/deploy/").status == 410)
            let viewer = try await host.user("viewer", permissions: ["can_list_deployments"], admin: admin)
            #expect(try await host.request(.get, "/clients/deployments/", as: .token(viewer)).status == 200)
            #expect(try await host.request(.post, "/clients/deployments/", as: .token(viewer), json: ["site": .init(site)]).status == 403)
        }
    }

    @Test func agentReports_areStored_andAnAgentActsOnlyOnItself() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("Reports", admin: admin)
            let pool = host.server.storage.pool
            var tokens: [String: String] = [:]
            for id in ["alpha", "beta"] {
                try await host.seedAgent(id, hostname: id, site: site)
                tokens[id] = Crypto.randomHex(bytes: 20)
                try await pool.query("UPDATE agents SET token_digest = $2 WHERE agent_id = $1", [id, Crypto.sha256Hex(tokens[id]!)])
            }
            let alpha = tokens["alpha"]!
            #expect(
                try await host.request(
                    .post, "/api/v3/syncmesh/", as: .token(alpha), json: ["func": "syncmesh", "agent_id": "alpha", "nodeid": "E2118196E02280A8573E09A418DE538CF50EF21C93BE7A8E299936B9DE14C7E38C99B7E9DF85F2BA5F85A111A173953E"]
                ).json == "ok")
            // Not a MeshAgent node id (96 hex characters): refused, naming the field.
            let wrongNode = try await host.request(
                .post, "/api/v3/syncmesh/", as: .token(alpha), json: ["func": "syncmesh", "agent_id": "alpha", "nodeid": "node//abc"])
            #expect(wrongNode.status == 400 && wrongNode.json["detail"]?.stringValue?.contains("nodeid") == true)
            #expect(
                try await host.request(
                    .post, "/api/v3/syncmesh/", as: .token(alpha), json: ["func": "syncmesh", "agent_id": "beta", "nodeid": "x"]
                ).status == 403)
            #expect(
                try await host.request(.post, "/api/v3/choco/", as: .token(alpha), json: ["agent_id": "alpha", "installed": true]).json
                    == "ok")
            let row = try #require(
                try await pool.query(
                    "SELECT a.mesh_node_id, a.choco_installed FROM agents a WHERE a.agent_id = 'alpha'"
                ).first)
            #expect(row.string("mesh_node_id") == "E2118196E02280A8573E09A418DE538CF50EF21C93BE7A8E299936B9DE14C7E38C99B7E9DF85F2BA5F85A111A173953E" && row.bool("choco_installed"))

            let pending = try await pool.query(
                "INSERT INTO pending_actions (agent_id, action_type, command, details) VALUES ('alpha', 'chocoinstall', '{\"func\":\"installwithchoco\"}', '{\"name\":\"firefox\"}') RETURNING id"
            ).first!.int("id")
            #expect(
                try await host.request(.patch, "/api/v4/beta/\(pending)/chocoresult/", as: .token(alpha), json: ["results": "x"]).status
                    == 403)
            #expect(
                try await host.request(.patch, "/api/v4/beta/\(pending)/chocoresult/", as: .token(tokens["beta"]!), json: ["results": "x"])
                    .status == 404)
            #expect(
                try await host.request(
                    .patch, "/api/v4/alpha/\(pending)/chocoresult/", as: .token(alpha),
                    json: ["results": "The install of firefox was successful.\n Chocolatey installed 1/1 packages."]
                ).json == "ok")
            let done = try #require(try await pool.query("SELECT results, status, details FROM pending_actions WHERE id = $1", [String(pending)]).first)
            #expect(done.string("results").hasPrefix("The install of firefox was successful.") && done.string("status") == "completed")
            // Chocolatey's own success words mark the action installed, as in Tactical RMM.
            #expect(try JSON.parse(Data(done.string("details").utf8))["installed"] == true)
            // Operators' tokens are not agents' tokens.
            #expect(try await host.request(.post, "/api/v3/choco/", as: .token(admin), json: ["installed": true]).status == 401)
        }
    }
}
