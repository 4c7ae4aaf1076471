import Foundation
import MeshCentralCore
import Testing
@testable import GarrisonHost

/// The MeshCentral bridge (Plugins/MeshCentral) loaded by a real host: settings kept and
/// checked in /core/settings/, the node id an agent reports, take-control links whose
/// `?login=` token opens as the right MeshCentral user, scope and permission, the audit entry,
/// and the mesh agent's repair over NATS (Tests/Fixtures/Bus/command_agent.py as the agent).
@Suite struct PluginsMeshCentralTests {
    static let keyHex = (0..<80).map { String(format: "%02x", ($0 * 7 + 3) & 0xff) }.joined()
    static let node = "E2118196E02280A8573E09A418DE538CF50EF21C93BE7A8E299936B9DE14C7E38C99B7E9DF85F2BA5F85A111A173953E"

    static func folder() throws -> PluginFolder {
        let folder = try PluginFolder()
        let library = try folder.copyBuilt("libMeshCentralPlugin.so")
        // Nothing listens on port 9: the sync that settings changes start fails at once, on loopback.
        try folder.write(
            "70-meshcentral.toml",
            "library = \"\(library)\"\nenabled = true\nrequired = true\n\n[settings]\ntimeout_seconds = 2\ncontrol_url = \"ws://127.0.0.1:9\"\n")
        return folder
    }

    @Test func takeControlLinks_settings_scope_audit_andRecover() async throws {
        let folder = try Self.folder()
        defer { folder.cleanUp() }
        try await TestHost.with(configure: { config in
            config.pluginsDirectory = folder.path
            config.natsEnabled = true
        }) { host in
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("Mesh", admin: admin)
            let (_, otherSite) = try await host.client("Elsewhere", admin: admin)
            let (agentID, agentToken) = try await RBACWorld.enroll(host, admin, site: site, hostname: "mesh-host")
            let path = "/agents/\(agentID)/meshcentral/"

            // Idle until configured: the answer names what is missing.
            let idle = try await host.request(.get, path, as: .token(admin))
            #expect(idle.status == 400 && idle.text.contains("mesh_token"), "\(idle.text)")

            // Settings are checked where they are kept, the field named; the key never comes back.
            for (key, value, named) in [
                ("mesh_token", "abc", "mesh_token"), ("mesh_token", String(repeating: "g", count: 160), "mesh_token"),
                ("mesh_site", "http://mesh.example.com", "mesh_site"), ("mesh_site", "mesh.example.com", "mesh_site"),
            ] {
                let bad = try await host.request(.put, "/core/settings/", as: .token(admin), json: [key: .string(value)])
                #expect(bad.status == 400 && bad.text.contains(named), "\(key)=\(value): \(bad.status) \(bad.text)")
            }
            let put = try await host.request(
                .put, "/core/settings/", as: .token(admin),
                json: ["mesh_site": "https://mesh.example.com/", "mesh_username": "Mesh_API", "mesh_token": .string(Self.keyHex)])
            #expect(put.status == 200, "\(put.text)")
            let settings = try await host.request(.get, "/core/settings/", as: .token(admin)).json
            #expect(settings["mesh_token"] == "********" && settings["sync_mesh_with_trmm"] == true)
            #expect(settings["mesh_device_group"] == "TacticalRMM" && settings["mesh_company_name"] == .null)

            // No node id yet: Tactical RMM's text.
            let noNode = try await host.request(.get, path, as: .token(admin))
            #expect(noNode.status == 400 && noNode.json["detail"] == "Missing mesh node id", "\(noNode.text)")

            // The agent reports its node id; a malformed one is refused and changes nothing.
            let wrong = try await host.request(
                .post, "/api/v3/syncmesh/", as: .token(agentToken), json: ["func": "syncmesh", "agent_id": .string(agentID), "nodeid": "node//x"])
            #expect(wrong.status == 400)
            let synced = try await host.request(
                .post, "/api/v3/syncmesh/", as: .token(agentToken),
                json: ["func": "syncmesh", "agent_id": .string(agentID), "nodeid": .string(Self.node)])
            #expect(synced.json == "ok", "\(synced.text)")

            // The links open the agent's node as the operator's own MeshCentral user.
            let before = Int(Date().timeIntervalSince1970)
            let links = try await host.request(.get, path, as: .token(admin))
            #expect(links.status == 200, "\(links.text)")
            #expect(links.json["hostname"] == "mesh-host" && links.json["client"] == "Mesh" && links.json["site"] == "HQ")
            #expect(links.json["status"]?.stringValue != nil)
            let adminID = try await host.server.storage.pool.query("SELECT id FROM users WHERE username = 'admin'").first!.int("id")
            let key = try MeshKey(hex: Self.keyHex)
            for (field, mode) in [("control", 11), ("terminal", 12), ("file", 13)] {
                let url = try #require(links.json[field]?.stringValue)
                let prefix = "https://mesh.example.com/?login="
                let suffix = "&gotonode=\(Self.node)&viewmode=\(mode)&hide=31"
                #expect(url.hasPrefix(prefix) && url.hasSuffix(suffix), "\(url)")
                let token = String(url.dropFirst(prefix.count).dropLast(suffix.count))
                let opened = try #require(MeshTokens.openLogin(key: key, token: token))
                let claims = try JSON.parse(Data(opened))
                #expect(claims["a"] == 3 && claims["u"] == .string("user//admin___\(adminID)"), "\(claims)")
                let time = try #require(claims["time"]?.intValue)
                #expect(time >= before && time <= Int(Date().timeIntervalSince1970))
            }
            // The audit entry is written in the background, with the caller's address (the same
            // the host records for its own entries of this client's requests).
            let pool = host.server.storage.pool
            try await eventually("remote_session audit entry") {
                try await pool.query("SELECT 1 FROM audit_log WHERE action = 'remote_session' AND agent_id = $1", [agentID]).first != nil
            }
            let entry = try await pool.query(
                "SELECT username, ip_address, object_type FROM audit_log WHERE action = 'remote_session' AND agent_id = $1", [agentID]
            ).first!
            let hostEntry = try await pool.query(
                "SELECT ip_address FROM audit_log WHERE object_type = 'coresettings' ORDER BY id DESC LIMIT 1"
            ).first!
            #expect(entry.string("username") == "admin" && entry.string("object_type") == "mesh session")
            #expect(entry["ip_address"] == hostEntry["ip_address"], "\(String(describing: entry["ip_address"]))")

            // Sync off: links open as the API user.
            _ = try await RBACWorld.ok(host, .put, "/core/settings/", admin, ["sync_mesh_with_trmm": false])
            let apiLinks = try await host.request(.get, path, as: .token(admin))
            let apiURL = try #require(apiLinks.json["control"]?.stringValue)
            let afterLogin = try #require(apiURL.range(of: "?login=")?.upperBound)
            let beforeNode = try #require(apiURL.range(of: "&gotonode=")?.lowerBound)
            let apiToken = String(apiURL[afterLogin..<beforeNode])
            let apiClaims = try JSON.parse(Data(try #require(MeshTokens.openLogin(key: key, token: apiToken))))
            #expect(apiClaims["u"] == "user//mesh_api")

            // Permission and scope: without can_use_mesh 403; scoped elsewhere 404, as if absent.
            let noMesh = try await host.user("nomesh", permissions: ["can_list_agents"], admin: admin)
            #expect(try await host.request(.get, path, as: .token(noMesh)).status == 403)
            let outside = try await host.user("meshoutside", permissions: ["can_use_mesh"], sites: [otherSite], admin: admin)
            let hidden = try await host.request(.get, path, as: .token(outside))
            #expect(hidden.status == 404, "\(hidden.text)")
            #expect(try await host.request(.post, "\(path)recover/", as: .token(outside)).status == 404)
            #expect(try await host.request(.get, "/agents/nope/meshcentral/", as: .token(admin)).status == 404)

            // Recover: the agent answers `recover` mode mesh.
            let supervisor = try #require(host.server.bus?.supervisor)
            let agent = try await CommandAgent.start(url: supervisor.url, agentID: agentID, token: agentToken)
            defer { agent.stop() }
            let repaired = try await host.request(.post, "\(path)recover/", as: .token(admin))
            #expect(repaired.status == 200 && repaired.json == "Repaired mesh agent on mesh-host", "\(repaired.text)")
            let sent = agent.received.map(\.command).filter { $0["func"] == "recover" }
            #expect(sent.count == 1 && sent.first?["payload"]?["mode"] == "mesh", "\(sent)")
        }
    }

    /// Tests/Fixtures/MeshCentral/control_standin.py on a free loopback port.
    struct StandIn {
        let pid: pid_t
        let port: Int
        let directory: URL

        static func start(mode: String = "ok", nodes: [String] = [], port: Int? = nil, failAfter: Int = 0) async throws -> StandIn {
            let directory = BusTests.temporaryDirectory()
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try JSONSerialization.data(withJSONObject: ["nodes": nodes, "fail_after": failAfter] as [String: Any]).write(
                to: directory.appendingPathComponent("seed.json"))
            let port = try port ?? PluginsAlertEmailTests.freePort()
            let script = PackagePaths.root.appendingPathComponent("Tests/Fixtures/MeshCentral/control_standin.py").path
            let python = try Subprocess.which("python3") ?? { throw TestFailure("python3 not found") }()
            let pid = try ChildProcess.spawn(
                python, [script, String(port), keyHex, "Mesh_API", directory.path, mode], logFile: directory.appendingPathComponent("log"))
            let standIn = StandIn(pid: pid, port: port, directory: directory)
            do {
                try await eventually("MeshCentral stand-in ready") {
                    FileManager.default.fileExists(atPath: directory.appendingPathComponent("ready").path)
                }
            } catch {
                let log = (try? String(contentsOf: directory.appendingPathComponent("log"), encoding: .utf8)) ?? ""
                standIn.stop()
                throw TestFailure("stand-in did not start (scripts/install-deps.sh installs websockets and pycryptodome): \(log)")
            }
            return standIn
        }

        func stop() {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            try? FileManager.default.removeItem(at: directory)
        }

        func lines(_ file: String) -> [JSON] {
            guard let text = try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8) else { return [] }
            return text.split(separator: "\n").compactMap { try? JSON.parse(Data($0.utf8)) }
        }

        var commands: [JSON] { lines("commands.jsonl") }
        var state: JSON { (try? JSON.parse(Data(contentsOf: directory.appendingPathComponent("state.json")))) ?? .null }
        /// Users of MeshCentral's state with their links: user id -> [node id: rights].
        var links: [String: [String: Int]] {
            var out: [String: [String: Int]] = [:]
            for (node, value) in state["nodes"]?.objectValue ?? [:] {
                for (user, link) in value["links"]?.objectValue ?? [:] { out[user, default: [:]][node] = link["rights"]?.intValue ?? -1 }
            }
            return out
        }
    }

    static func nodeHex(_ n: Int) -> String { String(format: "%02X", n) + String(repeating: "AB", count: 47) }

    /// A host with the plugin pointed at `standIn`, MeshCentral configured.
    static func withMesh(
        _ standIn: StandIn?, port: Int? = nil, _ body: @Sendable (TestHost, String) async throws -> Void
    ) async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        let library = try folder.copyBuilt("libMeshCentralPlugin.so")
        let target = standIn?.port ?? port ?? 9
        try folder.write(
            "70-meshcentral.toml",
            """
            library = "\(library)"
            enabled = true
            required = true

            [settings]
            control_url = "ws://127.0.0.1:\(target)"
            installer_url = "http://127.0.0.1:\(target)"
            timeout_seconds = 2
            sync_timeout_seconds = 3
            """)
        try await TestHost.with(configure: { config in config.pluginsDirectory = folder.path }) { host in
            let admin = try await host.adminToken()
            _ = try await RBACWorld.ok(
                host, .put, "/core/settings/", admin,
                ["mesh_site": "https://mesh.example.com", "mesh_username": "Mesh_API", "mesh_token": .string(keyHex)])
            try await body(host, admin)
        }
    }

    /// Starts a sync now and waits for it; its run record.
    static func syncNow(_ host: TestHost, _ admin: String) async throws -> JSON {
        let pool = host.server.storage.pool
        // Runs that other changes started may still be going: wait for one that starts after this.
        let since = try await pool.query("SELECT now()::text AS t").first!.string("t")
        // Any change of the global settings publishes core.accounts.changed, which starts a sync
        // (the same run the scheduler's meshcentral.sync job makes).
        _ = try await RBACWorld.ok(host, .put, "/core/settings/", admin, ["mesh_device_group": "TacticalRMM"])
        let query = """
            SELECT ok, error, commands FROM plugin_meshcentral.sync_runs
            WHERE finished IS NOT NULL AND started >= $1::timestamptz ORDER BY id DESC LIMIT 1
            """
        try await eventually("a sync run started after the change finished") { try await pool.query(query, [since]).first != nil }
        let row = try await pool.query(query, [since]).first!
        return ["ok": .init(row.bool("ok")), "error": .init(row["error"]), "commands": .init(row.optionalInt("commands"))]
    }

    @Test func sync_addsUsersWithRights_limitsByScope_removesThemAgain() async throws {
        let standIn = try await StandIn.start(nodes: [Self.nodeHex(1), Self.nodeHex(2)])
        defer { standIn.stop() }
        try await Self.withMesh(standIn) { host, admin in
            let pool = host.server.storage.pool
            let (clientA, siteA) = try await host.client("SyncA", admin: admin)
            let (_, siteB) = try await host.client("SyncB", admin: admin)
            try await host.seedAgent("sync-a", hostname: "a", site: siteA)
            try await host.seedAgent("sync-b", hostname: "b", site: siteB)
            try await pool.query("UPDATE agents SET mesh_node_id = $2 WHERE agent_id = $1", ["sync-a", Self.nodeHex(1)])
            try await pool.query("UPDATE agents SET mesh_node_id = $2 WHERE agent_id = $1", ["sync-b", Self.nodeHex(2)])
            let nodeA = "node//" + MeshIDs.meshNodeID(fromHex: Self.nodeHex(1))!
            let nodeB = "node//" + MeshIDs.meshNodeID(fromHex: Self.nodeHex(2))!

            _ = try await host.user("Tech One", permissions: ["can_use_mesh", "can_list_agents"], clients: [clientA], admin: admin)
            _ = try await host.user("viewer", permissions: ["can_list_agents"], admin: admin)
            let tech = try await pool.query("SELECT id FROM users WHERE username = 'Tech One'").first!.int("id")
            let adminID = try await pool.query("SELECT id FROM users WHERE username = 'admin'").first!.int("id")
            let techID = "user//techone___\(tech)"
            let adminMesh = "user//admin___\(adminID)"

            let first = try await Self.syncNow(host, admin)
            #expect(first["ok"] == true, "\(first)")
            let links = standIn.links
            #expect(links[techID] == [nodeA: SyncPlan.nodeRights], "scope limits the tech to client A's node: \(links)")
            #expect(links[adminMesh] == [nodeA: SyncPlan.nodeRights, nodeB: SyncPlan.nodeRights], "\(links)")
            #expect(!links.keys.contains { $0.hasPrefix("user//viewer___") }, "no can_use_mesh, no MeshCentral user")
            #expect(standIn.state["users"]?[techID] != nil)
            // The API user's own links are not Garrison's to touch.
            #expect(links["user//mesh_api"]?.count == 2)
            // Every socket was opened with a cookie the stand-in accepted.
            #expect(standIn.lines("refused.jsonl").isEmpty)

            // Nothing changed: the next run sends nothing.
            let again = try await Self.syncNow(host, admin)
            #expect(again["ok"] == true && again["commands"] == 0, "\(again)")

            // An agent moved into the tech's scope (agent.moved): its node gains the tech.
            let moved = try await host.request(.put, "/agents/sync-b/", as: .token(admin), json: ["site": .init(siteA)])
            #expect(moved.status == 200, "\(moved.text)")
            try await eventually("the move syncs") { standIn.links[techID] == [nodeA: SyncPlan.nodeRights, nodeB: SyncPlan.nodeRights] }

            // The permission taken away: the user goes.
            let role = try await pool.query("SELECT role_id FROM users WHERE id = $1", [String(tech)]).first!.int("role_id")
            let put = try await host.request(
                .put, "/accounts/roles/\(role)/", as: .token(admin),
                json: ["name": "role-Tech One", "can_use_mesh": false, "can_list_agents": true, "can_view_clients": [.init(clientA)]])
            #expect(put.status == 200, "\(put.text)")
            try await eventually("the role change syncs (core.accounts.changed)") { standIn.state["users"]?[techID] == nil }
            #expect(standIn.links[techID] == nil)
            #expect(standIn.links[adminMesh]?.count == 2)

            // Sync turned off: every managed user is deleted, the API user stays.
            _ = try await RBACWorld.ok(host, .put, "/core/settings/", admin, ["sync_mesh_with_trmm": false])
            try await eventually("managed users deleted") { standIn.state["users"]?[adminMesh] == nil }
            #expect(standIn.state["users"]?["user//mesh_api"] != nil)
        }
    }

    @Test func installer_webVNC_andAnUnreachableOrBrokenMeshCentral() async throws {
        let standIn = try await StandIn.start()
        defer { standIn.stop() }
        try await Self.withMesh(standIn) { host, admin in
            let (_, site) = try await host.client("Inst", admin: admin)
            try await host.seedAgent("vnc-agent", hostname: "vnc host", site: site)
            try await host.server.storage.pool.query("UPDATE agents SET mesh_node_id = $2 WHERE agent_id = $1", ["vnc-agent", Self.node])

            let exe = try await host.request(.post, "/api/v3/meshexe/", as: .token(admin), json: ["goarch": "amd64", "plat": "windows"])
            #expect(exe.status == 200 && exe.body.count == 512 << 10, "\(exe.status) \(exe.text.prefix(200))")
            #expect(exe.headers[.contentType] == "application/octet-stream")
            let query = try #require(standIn.lines("downloads.jsonl").last?["query"]?.stringValue)
            #expect(query.hasPrefix("id=4&meshid=") && query.hasSuffix("&installflags=0"), "\(query)")
            let mac = try await host.request(.post, "/api/v3/meshexe/", as: .token(admin), json: ["goarch": "arm64", "plat": "darwin"])
            #expect(mac.status == 200)
            #expect(standIn.lines("downloads.jsonl").last?["query"]?.stringValue?.hasSuffix("&installflags=2&meshinstall=10005") == true)
            let linux = try await host.request(.post, "/api/v3/meshexe/", as: .token(admin), json: ["goarch": "amd64", "plat": "linux"])
            #expect(linux.status == 400 && linux.json["detail"] == "Arch not supported")

            let vnc = try await host.request(.get, "/agents/vnc-agent/5900/webvnc/", as: .token(admin))
            #expect(vnc.status == 200, "\(vnc.text)")
            #expect(
                vnc.json["vnc"]?.stringValue
                    == "https://mesh.example.com/novnc/vnc.html?ws=wss%3A%2F%2Fmesh.example.com%2Fmeshrelay.ashx%3Fauth%3Drelay%24cookie%405900&show_dot=1&l=en&resize=scale&name=vnc%20host"
            )
            let getcookie = try #require(standIn.commands.last { $0["action"] == "getcookie" })
            #expect(getcookie["tcpport"] == 5900 && getcookie["nodeid"]?.stringValue == "node//" + MeshIDs.meshNodeID(fromHex: Self.node)!)
            #expect(try await host.request(.get, "/agents/vnc-agent/70000/webvnc/", as: .token(admin)).status == 400)
        }

        // MeshCentral that answers garbage, closes before answering or in the middle of a frame,
        // never answers, or is not there:
        // 502 with a detail, within the deadline (2 s here), and the sync records the failure.
        let port = try PluginsAlertEmailTests.freePort()
        try await Self.withMesh(nil, port: port) { host, admin in
            for mode in ["absent", "garbage", "close", "midreply", "silent"] {
                let broken = mode == "absent" ? nil : try await StandIn.start(mode: mode, port: port)
                defer { broken?.stop() }
                let started = ContinuousClock.now
                let reply = try await host.request(.post, "/api/v3/meshexe/", as: .token(admin), json: ["goarch": "amd64", "plat": "windows"])
                #expect(reply.status == 502 && reply.json["detail"]?.stringValue?.isEmpty == false, "\(mode): \(reply.status) \(reply.text)")
                #expect(ContinuousClock.now - started < .seconds(10), "\(mode)")
                if mode == "garbage" || mode == "midreply" || mode == "silent" {
                    let run = try await Self.syncNow(host, admin)
                    #expect(run["ok"] == false && run["error"]?.stringValue?.isEmpty == false, "\(mode): \(run)")
                }
            }
        }
    }

    @Test func syncCutOffHalfWay_isFinishedByTheNextRun() async throws {
        // The first socket that gets three commands is dropped right after MeshCentral applied them.
        let standIn = try await StandIn.start(mode: "flaky", nodes: [Self.nodeHex(1), Self.nodeHex(2)], failAfter: 3)
        defer { standIn.stop() }
        try await Self.withMesh(standIn) { host, admin in
            let pool = host.server.storage.pool
            let (clientA, siteA) = try await host.client("CutA", admin: admin)
            let (_, siteB) = try await host.client("CutB", admin: admin)
            try await host.seedAgent("cut-a", hostname: "a", site: siteA)
            try await host.seedAgent("cut-b", hostname: "b", site: siteB)
            try await pool.query("UPDATE agents SET mesh_node_id = $2 WHERE agent_id = $1", ["cut-a", Self.nodeHex(1)])
            try await pool.query("UPDATE agents SET mesh_node_id = $2 WHERE agent_id = $1", ["cut-b", Self.nodeHex(2)])
            // With the agents in place, every run that starts from an empty MeshCentral has at
            // least four commands (a user, its name, a node's links, the other node's), so one is cut.
            _ = try await host.user("Cut Tech", permissions: ["can_use_mesh"], clients: [clientA], admin: admin)
            try await pool.query("UPDATE users SET first_name = 'Cut', last_name = 'Tech' WHERE username = 'Cut Tech'")
            try await eventually("a sync cut off half way") { !standIn.lines("dropped.jsonl").isEmpty }
            try await eventually("the cut-off run recorded as failed") {
                try await pool.query("SELECT 1 FROM plugin_meshcentral.sync_runs WHERE ok = false AND error <> ''").first != nil
            }

            let run = try await Self.syncNow(host, admin)
            #expect(run["ok"] == true, "\(run)")
            let tech = try await pool.query("SELECT id FROM users WHERE username = 'Cut Tech'").first!.int("id")
            let adminID = try await pool.query("SELECT id FROM users WHERE username = 'admin'").first!.int("id")
            let nodeA = "node//" + MeshIDs.meshNodeID(fromHex: Self.nodeHex(1))!
            let nodeB = "node//" + MeshIDs.meshNodeID(fromHex: Self.nodeHex(2))!
            let links = standIn.links
            #expect(links["user//cuttech___\(tech)"] == [nodeA: SyncPlan.nodeRights], "\(links)")
            #expect(links["user//admin___\(adminID)"] == [nodeA: SyncPlan.nodeRights, nodeB: SyncPlan.nodeRights], "\(links)")
            // Display names were set too, whatever the cut-off run left undone.
            #expect(standIn.state["users"]?["user//cuttech___\(tech)"]?["realname"] == "Cut Tech")
            // And MeshCentral now matches: one more run changes nothing.
            let again = try await Self.syncNow(host, admin)
            #expect(again["ok"] == true && again["commands"] == 0, "\(again)")
        }
    }

    @Test func wakeOnLAN_andTheDeviceRemovedWithItsAgent() async throws {
        let standIn = try await StandIn.start(nodes: [Self.node])
        defer { standIn.stop() }
        try await Self.withMesh(standIn) { host, admin in
            let pool = host.server.storage.pool
            let (_, site) = try await host.client("Wake", admin: admin)
            try await host.seedAgent("wake-agent", hostname: "sleepy", site: site)
            try await host.seedAgent("bare-agent", hostname: "bare", site: site)
            let meshNode = "node//" + MeshIDs.meshNodeID(fromHex: Self.node)!

            let bare = try await host.request(.post, "/agents/bare-agent/wol/", as: .token(admin))
            #expect(bare.status == 400 && bare.json["detail"] == "Missing mesh node id", "\(bare.text)")

            try await pool.query("UPDATE agents SET mesh_node_id = $2 WHERE agent_id = $1", ["wake-agent", Self.node])
            let woke = try await host.request(.post, "/agents/wake-agent/wol/", as: .token(admin))
            #expect(woke.status == 200 && woke.json == "Wake-on-LAN sent to sleepy", "\(woke.text)")
            let wake = try #require(standIn.commands.last { $0["action"] == "wakedevices" })
            #expect(wake["nodeids"] == [.string(meshNode)], "\(wake)")
            #expect(standIn.state["nodes"]?[meshNode]?["woken"] == 1)
            let noWOL = try await host.user("nowol", permissions: ["can_list_agents", "can_use_mesh"], admin: admin)
            #expect(try await host.request(.post, "/agents/wake-agent/wol/", as: .token(noWOL)).status == 403)

            // Deleting the agent removes its device from MeshCentral, as Tactical RMM does.
            let deleted = try await host.request(.delete, "/agents/wake-agent/", as: .token(admin))
            #expect(deleted.status == 200, "\(deleted.text)")
            try await eventually("removedevices reached MeshCentral") { standIn.state["nodes"]?[meshNode] == nil }
            let remove = try #require(standIn.commands.last { $0["action"] == "removedevices" })
            #expect(remove["nodeids"] == [.string(meshNode)] && remove["responseid"] == "trmm", "\(remove)")
            // An agent that never had a node id leaves MeshCentral alone.
            let before = standIn.commands.filter { $0["action"] == "removedevices" }.count
            #expect(try await host.request(.delete, "/agents/bare-agent/", as: .token(admin)).status == 200)
            let afterSync = try await Self.syncNow(host, admin)
            #expect(afterSync["ok"] == true)
            #expect(standIn.commands.filter { $0["action"] == "removedevices" }.count == before)
        }
    }
}
