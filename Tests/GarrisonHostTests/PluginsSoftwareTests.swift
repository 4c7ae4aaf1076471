import Foundation
import Testing
@testable import GarrisonHost

/// The software plugin end to end: the agent's inventory upload, the operator's views of it, a
/// refresh asked of the agent stand-in (Tests/Fixtures/Bus/command_agent.py) over nats-server,
/// a Chocolatey install as a pending action the agent completes with its chocoresult, and an
/// uninstall, with Tactical RMM's texts, permissions and scope.
@Suite struct PluginsSoftwareTests {
    static let sevenZip: JSON = [
        [
            "name": "7-Zip", "version": "23.01", "publisher": "Igor Pavlov", "install_date": "2024-1-05", "size": "5.4 MB",
            "source": "", "location": "", "uninstall": "MsiExec.exe /X{23170F69-40C1-2702-2301-000001000000}",
        ]
    ]

    /// An agent enrolled as the real one is (its token works for REST and NATS), then made a
    /// Windows machine named `hostname`.
    static func windowsAgent(_ host: TestHost, site: Int, admin: String, hostname: String = "front-desk") async throws -> (String, String) {
        let agentID = BusTests.agentID()
        let enrolled = try await host.request(.post, "/api/v3/newagent/", as: .token(admin), json: AgentAPITests.enrollBody(agentID, site: site))
        let token = try #require(enrolled.json["token"]?.stringValue, "\(enrolled.text)")
        try await host.server.storage.pool.query(
            "UPDATE agents SET plat = 'windows', hostname = $2, last_seen = now() WHERE agent_id = $1", [agentID, hostname])
        return (agentID, token)
    }

    @Test func inventoriesAreStoredShownRefreshedAndScoped() async throws {
        try await TestHost.with(only: try PluginFolder.software()) { host in
            let bus = try #require(host.server.bus)
            let pool = host.server.storage.pool
            let admin = try await host.adminToken()
            let (acme, site) = try await host.client("Acme", admin: admin)
            let (_, otherSite) = try await host.client("Globex", admin: admin)
            let (agentID, token) = try await Self.windowsAgent(host, site: site, admin: admin)
            let (hiddenID, hiddenToken) = try await Self.windowsAgent(host, site: otherSite, admin: admin, hostname: "globex-pc")
            await bus.agentsChanged()

            // Nothing sent yet: [] for the agent, as Tactical RMM answers.
            #expect(try await host.request(.get, "/software/\(agentID)/", as: .token(admin)).json == [])
            let upload = try await host.request(
                .post, "/api/v3/software/", as: .token(token), json: ["agent_id": .string(agentID), "software": Self.sevenZip])
            #expect(upload.status == 200 && upload.json == "ok", "\(upload.text)")
            _ = try await host.request(
                .post, "/api/v3/software/", as: .token(hiddenToken), json: ["agent_id": .string(hiddenID), "software": Self.sevenZip])
            let pk = try #require(try await pool.query("SELECT id FROM agents WHERE agent_id = $1", [agentID]).first?.int("id"))
            let one = try await host.request(.get, "/software/\(agentID)/", as: .token(admin)).json
            #expect(one["software"] == Self.sevenZip && one["agent"]?.intValue == pk && one["id"]?.intValue != nil, "\(one)")
            #expect(try await host.request(.get, "/software/", as: .token(admin)).json.arrayValue?.count == 2)

            // Bad uploads are refused whole and the good inventory stays.
            for bad: JSON in ["nope", [["name": 7]], ["just a string"]] {
                let refused = try await host.request(
                    .post, "/api/v3/software/", as: .token(token), json: ["agent_id": .string(agentID), "software": bad])
                #expect(refused.status == 400 && refused.text.contains("software"), "\(refused.text)")
            }
            // Another agent's id in the body: 403; an operator is not an agent: 401.
            #expect(
                try await host.request(.post, "/api/v3/software/", as: .token(token), json: ["agent_id": .string(hiddenID), "software": []])
                    .status == 403)
            #expect(try await host.request(.post, "/api/v3/software/", as: .token(admin), json: ["software": []]).status == 401)
            #expect(try await host.request(.get, "/software/\(agentID)/", as: .token(admin)).json["software"] == Self.sevenZip)

            // A refresh asks the agent (softwarelist) and replaces the inventory with its answer.
            let agent = try await CommandAgent.start(url: try #require(bus.supervisor).url, agentID: agentID, token: token)
            defer { agent.stop() }
            let refreshed = try await host.request(.put, "/software/\(agentID)/", as: .token(admin))
            #expect(refreshed.status == 200 && refreshed.json == "ok", "\(refreshed.text)")
            let now = try await host.request(.get, "/software/\(agentID)/", as: .token(admin)).json
            #expect(now["software"]?.arrayValue?.first?["name"] == "7-Zip 23.01 (x64)", "\(now)")
            // Nobody answers for the other agent: Tactical RMM's 400.
            let silent = try await host.request(.put, "/software/\(hiddenID)/", as: .token(admin))
            #expect(silent.status == 400 && silent.json["detail"] == "Unable to contact the agent", "\(silent.text)")

            // Scope: a role limited to Acme sees Acme's inventory only; Globex's does not exist.
            let scoped = try await host.user("acme-viewer", permissions: ["can_list_software"], clients: [acme], admin: admin)
            let visible = try await host.request(.get, "/software/", as: .token(scoped)).json.arrayValue ?? []
            #expect(visible.map { $0["agent"]?.intValue } == [pk], "\(visible)")
            #expect(try await host.request(.get, "/software/\(hiddenID)/", as: .token(scoped)).status == 404)
            #expect(try await host.request(.put, "/software/\(agentID)/", as: .token(scoped)).status == 403)

            // A deleted agent's inventory goes with it.
            #expect(try await host.request(.delete, "/agents/\(hiddenID)/", as: .token(admin)).status == 200)
            try await eventually("the deleted agent's inventory is dropped") {
                (try? await host.request(.get, "/software/", as: .token(admin)).json.arrayValue?.count) == 1
            }
            #expect(try await host.request(.get, "/software/chocos/", as: .token(scoped)).json == [:])
        }
    }

    @Test func chocolateyInstallsAreTrackedPendingActionsAndUninstallsRunTheUninstallString() async throws {
        try await TestHost.with(only: try PluginFolder.software()) { host in
            let bus = try #require(host.server.bus)
            let pool = host.server.storage.pool
            let admin = try await host.adminToken()
            let (acme, site) = try await host.client("Acme", admin: admin)
            let (agentID, token) = try await Self.windowsAgent(host, site: site, admin: admin)
            let linuxID = BusTests.agentID()
            try await host.seedAgent(linuxID, hostname: "build-box", site: site)
            try await pool.query("UPDATE agents SET plat = 'linux' WHERE agent_id = $1", [linuxID])
            let silentID = BusTests.agentID()
            try await host.seedAgent(silentID, hostname: "asleep", site: site)
            try await pool.query("UPDATE agents SET plat = 'windows' WHERE agent_id = $1", [silentID])
            await bus.agentsChanged()
            let agent = try await CommandAgent.start(url: try #require(bus.supervisor).url, agentID: agentID, token: token)
            defer { agent.stop() }

            let install = try await host.request(.post, "/software/\(agentID)/", as: .token(admin), json: ["name": "firefox"])
            #expect(
                install.status == 200
                    && install.json
                        == "firefox will be installed shortly on front-desk. Check the Pending Actions menu to see the status/output",
                "\(install.text)")
            let sent = try #require(agent.received.last { $0.command["func"] == "installwithchoco" })
            #expect(sent.command["choco_prog_name"] == "firefox" && sent.replied)
            let actionID = try #require(sent.command["pending_action_pk"]?.intValue)
            let action = try #require(
                try await pool.query("SELECT action_type, status, details, delivered FROM pending_actions WHERE id = $1", [String(actionID)]).first)
            #expect(action.string("action_type") == "chocoinstall" && action.string("status") == "pending")
            #expect(try JSON.parse(Data(action.string("details").utf8)) == ["name": "firefox", "output": nil, "installed": false])
            // The offline queue never sends it again: it is already with the agent.
            let (_, agentsDue) = try await host.server.commander.sweepPending()
            #expect(agentsDue == 0)
            let result = try await host.request(
                .patch, "/api/v4/\(agentID)/\(actionID)/chocoresult/", as: .token(token),
                json: ["results": "Firefox v120.0 already installed.\n Use --force to reinstall, specify a version to install, or try upgrade."])
            #expect(result.json == "ok", "\(result.text)")
            let done = try #require(try await pool.query("SELECT status, details FROM pending_actions WHERE id = $1", [String(actionID)]).first)
            #expect(done.string("status") == "completed" && JSON.fromDatabase(done["details"])["installed"] == true)

            // An agent that does not answer: 400, and no pending action is left behind.
            let before = try await pool.query("SELECT count(*) AS n FROM pending_actions").first!.int("n")
            let silent = try await host.request(.post, "/software/\(silentID)/", as: .token(admin), json: ["name": "firefox"])
            #expect(silent.status == 400 && silent.json["detail"] == "Unable to contact the agent", "\(silent.text)")
            #expect(try await pool.query("SELECT count(*) AS n FROM pending_actions").first!.int("n") == before)
            // Not Windows, a name that is no package id, no name: refused before anything is sent.
            let linux = try await host.request(.post, "/software/\(linuxID)/", as: .token(admin), json: ["name": "firefox"])
            #expect(linux.status == 400 && linux.json["detail"] == "Not available for linux", "\(linux.text)")
            for body: JSON in [["name": "--source=http://evil/ firefox"], [:], ["name": 3]] {
                let refused = try await host.request(.post, "/software/\(agentID)/", as: .token(admin), json: body)
                #expect(refused.status == 400 && refused.text.contains("name"), "\(refused.text)")
            }

            // Uninstall: the program's uninstall string with cmd, in the agent's history.
            let uninstallBody: JSON = [
                "name": "7-Zip", "command": "MsiExec.exe /X{23170F69-40C1-2702-2301-000001000000} /qn", "timeout": 1800, "run_as_user": false,
            ]
            let uninstall = try await host.request(.post, "/software/\(agentID)/uninstall/", as: .token(admin), json: uninstallBody)
            #expect(uninstall.status == 200 && uninstall.json == "7-Zip will now be uninstalled on front-desk.", "\(uninstall.text)")
            try await eventually("the uninstall reaches the agent") { agent.received.contains { $0.command["func"] == "rawcmd" } }
            let raw = try #require(agent.received.last { $0.command["func"] == "rawcmd" })
            #expect(raw.command["payload"]?["shell"] == "cmd" && raw.command["timeout"] == 1800 && raw.command["run_as_user"] == false)
            #expect(raw.command["payload"]?["command"] == uninstallBody["command"] && raw.command["id"]?.intValue != nil)
            try await eventually("the uninstall's history row") {
                (try? await pool.query(
                    "SELECT 1 FROM agent_history WHERE agent_id = $1 AND type = 'cmd_run' AND command LIKE 'MsiExec.exe%'", [agentID]
                ).first) != nil
            }
            var agentsOwn = uninstallBody.objectValue!
            agentsOwn["command"] = "\"C:\\Program Files\\TacticalAgent\\unins000.exe\" /VERYSILENT"
            let refusedAgent = try await host.request(.post, "/software/\(agentID)/uninstall/", as: .token(admin), json: .object(agentsOwn))
            #expect(refusedAgent.status == 400 && refusedAgent.json["detail"] == "The Tactical RMM Agent cannot be uninstalled from here.")
            for field in ["name", "command", "timeout", "run_as_user"] {
                var missing = uninstallBody.objectValue!
                missing[field] = nil
                let refused = try await host.request(.post, "/software/\(agentID)/uninstall/", as: .token(admin), json: .object(missing))
                #expect(refused.status == 400 && refused.text.contains(field), "\(field): \(refused.text)")
            }
            // An uninstall runs a command line: can_manage_software alone is not enough.
            let manager = try await host.user("acme-software", permissions: ["can_manage_software"], clients: [acme], admin: admin)
            let denied = try await host.request(.post, "/software/\(agentID)/uninstall/", as: .token(manager), json: uninstallBody)
            #expect(denied.status == 403 && denied.text.contains("can_send_cmd"), "\(denied.text)")
            let both = try await host.user(
                "acme-software-cmd", permissions: ["can_manage_software", "can_send_cmd"], clients: [acme], admin: admin)
            #expect(try await host.request(.post, "/software/\(agentID)/uninstall/", as: .token(both), json: uninstallBody).status == 200)
        }
    }

    @Test func aWindowsAgentWithoutChocolateyIsToldToInstallItAtCheckIn() async throws {
        try await TestHost.with(only: try PluginFolder.software()) { host in
            let bus = try #require(host.server.bus)
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("Acme", admin: admin)
            let (agentID, token) = try await Self.windowsAgent(host, site: site, admin: admin)
            await bus.agentsChanged()
            let agent = try await CommandAgent.start(url: try #require(bus.supervisor).url, agentID: agentID, token: token)
            defer { agent.stop() }

            _ = try await host.request(.post, "/api/v3/checkin/", as: .token(token), json: ["agent_id": .string(agentID)])
            try await eventually("installchoco at check-in") { agent.received.contains { $0.command["func"] == "installchoco" } }
            // The agent reports the outcome; the agent object shows it (what the next check-in reads).
            _ = try await host.request(.post, "/api/v3/choco/", as: .token(token), json: ["agent_id": .string(agentID), "installed": true])
            #expect(try await host.request(.get, "/agents/\(agentID)/", as: .token(admin)).json["choco_installed"] == true)
        }
    }
}
