import Foundation
import Testing
@testable import GarrisonHost

/// A C plugin built against the header alone reaching agents: agent_request (request or
/// publish-only per function, _options for history and the offline queue), agent_send, and
/// a reply-tag handler receiving an agent's publishes -- against a real nats-server and a
/// nats-py agent stand-in.
@Suite struct PluginsAgentTests {
    @Test func aPluginCommandsAgentsAndHearsItsTag() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-relay.toml", fixture: "agent_relay")
        try await TestHost.with(configure: { config in
            config.pluginsDirectory = folder.path
            config.natsEnabled = true
        }) { host in
            let bus = try #require(host.server.bus)
            let url = try #require(bus.supervisor).url
            let admin = try await host.adminToken()
            let (client, site) = try await host.client("Relay", admin: admin)
            // Plugin routes learn the caller's client/site scope from principal_json.
            let scoped = try await host.user("scoped", permissions: ["can_list_agents"], clients: [client], admin: admin)
            let who = try await host.request(.get, "/relay/whoami/", as: .token(scoped)).json
            #expect(who["username"] == "scoped" && who["can_view_clients"] == [.init(client)] && who["can_view_sites"] == [])
            let agentID = BusTests.agentID()
            let token = try await BusTests.seedAgent(host, agentID, site: site)
            try await host.server.storage.pool.query("UPDATE agents SET last_seen = now() WHERE agent_id = $1", [agentID])
            await bus.agentsChanged()
            let agent = try await CommandAgent.start(url: url, agentID: agentID, token: token)
            defer { agent.stop() }
            func relay(_ path: String, _ command: String, to id: String = agentID) async throws -> JSON {
                try await host.request(.post, path, as: .token(admin), rawBody: id + "\n" + command).json
            }

            #expect(try await relay("/relay/request/", #"{"func":"ping"}"#) == ["status": 0, "data": "pong"])
            #expect(try await relay("/relay/request/", #"{"func":"procs"}"#)["data"]?.arrayValue?.first?["pid"] == 812)
            // A function that never answers is published without waiting: done gets null at once.
            #expect(try await relay("/relay/request/", #"{"func":"runtask","taskpk":7}"#) == ["status": 0, "data": nil])
            // _options: history recorded, its id sent to the agent, an envelope back.
            let scripted = try await relay(
                "/relay/request/",
                #"{"func":"runscriptfull","timeout":5,"script_args":[],"payload":{"code":"echo hi","shell":"/bin/bash"},"_options":{"history":{"type":"script_run","script_name":"hi","origin":"relay:1"}}}"#
            )
            #expect(scripted["data"]?["status"] == "ok" && scripted["data"]?["reply"]?["stdout"] == "hi")
            let historyID = try #require(scripted["data"]?["history_id"]?.intValue)
            let row = try #require(
                try await host.server.storage.pool.query(
                    "SELECT type, origin, status, script_results FROM agent_history WHERE id = $1", [String(historyID)]
                ).first)
            #expect(row.string("type") == "script_run" && row.string("origin") == "relay:1" && row.string("status") == "completed")
            #expect(try await relay("/relay/send/", #"{"func":"runchecks"}"#) == ["rc": 0])

            // Refused before anything is sent: a non-string payload value (the agent would drop it), no func.
            #expect(try await relay("/relay/request/", #"{"func":"rawcmd","payload":{"timeout":5}}"#)["status"] == -1)
            #expect(try await relay("/relay/send/", #"{"payload":{}}"#) == ["rc": -1])
            #expect(try await relay("/relay/request/", #"{"func":"ping"}"#, to: "nobody")["status"] == -4)
            #expect(
                try await relay(
                    "/relay/request/",
                    #"{"func":"runscript","payload":{"code":"x","shell":"/bin/sh"},"_options":{"history":{"type":"script_run"}}}"#,
                    to: "nobody")["status"] == -4)

            try await eventually("runtask and runchecks arrived") { agent.received.contains { $0.command["func"] == "runchecks" } }
            let received = agent.received
            #expect(received.first { $0.command["func"] == "runtask" }?.replied == false)
            #expect(received.first { $0.command["func"] == "runchecks" }?.replied == false)
            #expect(received.first { $0.command["func"] == "runscriptfull" }?.command["id"]?.intValue == historyID)
            #expect(!received.contains { $0.command["func"] == "rawcmd" })

            // The plugin's reply tag: checked like telemetry, then handed over as JSON.
            let published = try Python.agent(
                url, user: agentID, password: token,
                [
                    "pub", agentID, "relay-report", BusTests.json(["agent_id": .string(BusTests.agentID()), "n": 1]),
                    "pub", agentID, "relay-report", BusTests.json(["agent_id": .string(agentID), "n": 2]),
                ])
            #expect(published.status == 0)
            try await eventually("tag delivered") { try await host.request(.get, "/relay/seen/", as: .token(admin)).json["count"] == 1 }
            let seen = try await host.request(.get, "/relay/seen/", as: .token(admin)).json
            #expect(seen["agent"] == .string(agentID) && seen["last"]?["n"] == 2)
        }
    }
}
