import Foundation
import Testing
@testable import GarrisonHost

/// The agent actions plugin end to end: route → plugin → agent_request → nats-server → the
/// agent stand-in (Tests/Fixtures/Bus/command_agent.py, answering as a Windows agent 2.9.1)
/// and back, with Tactical RMM's texts.
@Suite struct PluginsAgentActionsTests {
    @Test func windowsServicesAreListedControlledAndEditedThroughTheAgent() async throws {
        try await TestHost.with(only: try PluginFolder.agentActions()) { host in
            let bus = try #require(host.server.bus)
            let admin = try await host.adminToken()
            let (acme, site) = try await host.client("Acme", admin: admin)
            let (_, otherSite) = try await host.client("Globex", admin: admin)
            let agentID = BusTests.agentID()
            let token = try await BusTests.seedAgent(host, agentID, site: site)
            try await host.server.storage.pool.query(
                "UPDATE agents SET plat = 'windows', hostname = 'front-desk', last_seen = now() WHERE agent_id = $1", [agentID])
            let linuxID = BusTests.agentID()
            try await host.seedAgent(linuxID, hostname: "build-box", site: site)
            try await host.server.storage.pool.query("UPDATE agents SET plat = 'linux' WHERE agent_id = $1", [linuxID])
            let hiddenID = BusTests.agentID()
            try await host.seedAgent(hiddenID, hostname: "globex-pc", site: otherSite)
            await bus.agentsChanged()
            let agent = try await CommandAgent.start(url: try #require(bus.supervisor).url, agentID: agentID, token: token)
            defer { agent.stop() }

            let list = try await host.request(.get, "/services/\(agentID)/", as: .token(admin))
            #expect(list.status == 200, "\(list.text)")
            #expect(list.json.arrayValue?.compactMap { $0["name"]?.stringValue } == ["Spooler", "wuauserv"])
            #expect(list.json.arrayValue?.first?["start_type"] == "Automatic")
            let one = try await host.request(.get, "/services/\(agentID)/Spooler/", as: .token(admin))
            #expect(one.json["display_name"] == "Print Spooler", "\(one.text)")

            let started = try await host.request(.post, "/services/\(agentID)/wuauserv/", as: .token(admin), json: ["sv_action": "start"])
            #expect(started.status == 200 && started.json == "The service was started successfully", "\(started.text)")
            let restarted = try await host.request(
                .post, "/services/\(agentID)/Spooler/", as: .token(admin), json: ["sv_action": "restart"])
            #expect(restarted.json == "The service was restarted successfully", "\(restarted.text)")
            // Restart is stop, then start: the agent knows only those two.
            try await eventually("the restart's two commands") {
                agent.received.filter { $0.command["func"] == "winsvcaction" && $0.command["payload"]?["name"] == "Spooler" }.count == 2
            }
            let actions = agent.received.filter { $0.command["payload"]?["name"] == "Spooler" && $0.command["func"] == "winsvcaction" }
            #expect(actions.map { $0.command["payload"]?["action"]?.stringValue ?? "" } == ["stop", "start"])
            #expect(actions.allSatisfy { $0.replied })

            // The agent's own error text is the answer.
            let missing = try await host.request(.post, "/services/\(agentID)/nosuch/", as: .token(admin), json: ["sv_action": "stop"])
            #expect(missing.status == 400 && missing.text.contains("does not exist as an installed service"), "\(missing.text)")
            let edited = try await host.request(.put, "/services/\(agentID)/wuauserv/", as: .token(admin), json: ["startType": "disabled"])
            #expect(edited.json == "The service start type was updated successfully", "\(edited.text)")
            let edit = try #require(agent.received.last { $0.command["func"] == "editwinsvc" })
            #expect(edit.command["payload"]?["startType"] == "disabled" && edit.command["payload"]?["name"] == "wuauserv")

            // Bad input is refused before anything is sent.
            let sent = agent.received.count
            let badAction = try await host.request(.post, "/services/\(agentID)/Spooler/", as: .token(admin), json: ["sv_action": "pause"])
            #expect(badAction.status == 400 && badAction.text.contains("sv_action"), "\(badAction.text)")
            let badType = try await host.request(.put, "/services/\(agentID)/Spooler/", as: .token(admin), json: ["startType": "boot"])
            #expect(badType.status == 400 && badType.text.contains("startType"), "\(badType.text)")
            let notJSON = try await host.request(.post, "/services/\(agentID)/Spooler/", as: .token(admin), rawBody: "{oops")
            #expect(notJSON.status == 400)
            #expect(agent.received.count == sent)

            // Linux: Tactical RMM's text; an agent nobody answers for: unable to contact.
            let linux = try await host.request(.post, "/services/\(linuxID)/cron/", as: .token(admin), json: ["sv_action": "stop"])
            #expect(linux.status == 400 && linux.text.contains("Please use 'Recover Connection' instead."), "\(linux.text)")
            let silent = try await host.request(.get, "/services/\(linuxID)/", as: .token(admin))
            #expect(silent.status == 400 && silent.text.contains("Unable to contact the agent build-box"), "\(silent.text)")

            // Scope: another client's agent does not exist for a role limited to Acme.
            let scoped = try await host.user("acme-tech", permissions: ["can_manage_winsvcs"], clients: [acme], admin: admin)
            #expect(try await host.request(.get, "/services/\(agentID)/", as: .token(scoped)).status == 200)
            #expect(try await host.request(.get, "/services/\(hiddenID)/", as: .token(scoped)).status == 404)
            let denied = try await host.user("no-services", permissions: ["can_list_agents"], admin: admin)
            #expect(try await host.request(.get, "/services/\(agentID)/", as: .token(denied)).status == 403)
        }
    }
}
