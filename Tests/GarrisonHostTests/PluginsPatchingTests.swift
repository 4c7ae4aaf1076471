import Foundation
import HTTPTypes
import Testing
@testable import GarrisonHost

/// The patching plugin (Plugins/Patching, plugin "winupdate") loaded by a real host: the
/// agent's scan and install reports, refusals, the operator routes and their scope, patch
/// policies, and end to end with an emulated agent over NATS (WUAAgent): approvals, the
/// hourly install check on a controlled clock, failed updates tried again, reboot rules.
@Suite struct PluginsPatchingTests {
    static func folder(scripting: Bool = false) throws -> PluginFolder {
        let folder = try PluginFolder()
        let copy = try folder.copyBuilt("libPatchingPlugin.so")
        // The scheduled jobs are run by the tests themselves, with their own clock.
        try folder.write("70-winupdate.toml", "library = \"\(copy)\"\nenabled = true\n\n[settings]\ndefault_time_zone = \"UTC\"\n")
        if scripting {
            let lib = try folder.copyBuilt("libScriptingPlugin.so")
            try folder.write("50-scripting.toml", "library = \"\(lib)\"\nenabled = true\n")
        }
        return folder
    }

    struct World: Sendable {
        let host: TestHost
        let admin: String
        let client: Int
        let site: Int

        func enroll(plat: String = "windows", type: String = "server", hostname: String = "win-1", site: Int? = nil) async throws -> (
            String, String
        ) {
            let agentID = BusTests.agentID()
            let body: JSON = [
                "agent_id": .string(agentID), "description": "", "goarch": "amd64", "hostname": .string(hostname), "mesh_node_id": "",
                "monitoring_type": .string(type), "plat": .string(plat), "site": .init(site ?? self.site),
            ]
            let enrolled = try await host.request(.post, "/api/v3/newagent/", as: .token(admin), json: body)
            guard let token = enrolled.json["token"]?.stringValue else { throw TestFailure("enroll: \(enrolled.text)") }
            return (agentID, token)
        }

        func updates(_ agentID: String) async throws -> [JSON] {
            let reply = try await host.request(.get, "/winupdate/\(agentID)/", as: .token(admin))
            guard reply.status == 200 else { throw TestFailure("list: \(reply.status) \(reply.text)") }
            return reply.json.arrayValue ?? []
        }

        func row(_ agentID: String, guidSuffix: String) async throws -> JSON? {
            try await updates(agentID).first { $0["guid"]?.stringValue?.hasSuffix(guidSuffix) == true }
        }

        func rowCount() async throws -> Int {
            try await host.server.storage.pool.query("SELECT count(*)::int AS n FROM plugin_winupdate.updates").first!.int("n")
        }

        /// An active automation policy assigned to the client as its server policy.
        func clientPolicy(_ name: String) async throws -> Int {
            try await ok(.post, "/automation/policies/", ["name": .string(name), "active": true])
            let id = try await host.server.storage.pool.query("SELECT id FROM policies WHERE name = $1", [name]).first!.int("id")
            try await ok(.put, "/clients/\(client)/", ["client": ["server_policy": .init(id), "workstation_policy": .init(id)]])
            return id
        }

        @discardableResult
        func ok(_ method: HTTPRequest.Method, _ path: String, _ body: JSON? = nil) async throws -> TestHost.Reply {
            let reply = try await host.request(method, path, as: .token(admin), json: body)
            guard reply.status == 200 else { throw TestFailure("\(method) \(path): \(reply.status) \(reply.text)") }
            return reply
        }

        /// Runs one of the plugin's jobs now on the host scheduler, at `now`, and waits for it.
        func runJob(_ kind: String, now: String) async throws {
            let store = host.server.scheduler.store
            let id = try await store.enqueue(owner: "winupdate", kind: "winupdate:\(kind)", payload: ["now": .string(now)])
            host.server.scheduler.poke()
            try await eventually("\(kind) at \(now)", timeout: .seconds(20)) {
                try await host.server.storage.pool.query("SELECT state FROM job_runs WHERE id = $1", [String(id)]).first?["state"]
                    == "succeeded"
            }
        }
    }

    static func with(nats: Bool = false, scripting: Bool = false, _ body: @Sendable @escaping (World) async throws -> Void) async throws {
        let folder = try folder(scripting: scripting)
        defer { folder.cleanUp() }
        try await TestHost.with(configure: { config in
            config.pluginsDirectory = folder.path
            config.pluginCallTimeoutMS = 20_000
            config.natsEnabled = nats
        }) { host in
            let admin = try await host.adminToken()
            let (client, site) = try await host.client("Patch Co", admin: admin)
            try await body(World(host: host, admin: admin, client: client, site: site))
        }
    }

    static func scanBody(_ agentID: String, _ updates: [JSON]) -> JSON {
        ["agent_id": .string(agentID), "wua_updates": .array(updates)]
    }

    @Test func agentRoutes_storeScansAndResults_andRefuseBadInputWithoutStoringAnything() async throws {
        try await Self.with { w in
            let (agentID, token) = try await w.enroll()
            let fixture = try WUAAgent.fixture()
            func send(_ method: HTTPRequest.Method, _ path: String, _ body: JSON? = nil, raw: String? = nil, as t: String? = nil)
                async throws -> TestHost.Reply
            {
                try await w.host.request(method, path, as: .token(t ?? token), json: body, rawBody: raw)
            }

            // Refusals first: nothing is stored by any of them.
            let refusals: [(String, String)] = [
                (#"{"agent_id":"\#(agentID)","wua_updates":[]}"#, "Empty payload"),
                (#"{"agent_id":"\#(agentID)"}"#, "wua_updates is required"),
                (#"{"agent_id":"\#(agentID)","wua_updates":[{"guid":"ok-1","kb_article_ids":["1"]},{"title":"x"}]}"#, "wua_updates[1].guid"),
                (#"{"agent_id":"\#(agentID)","wua_updates":[{"guid":"ok-1","kb_article_ids":["1"]},{"guid":"b","installed":"no"}]}"#, "wua_updates[1].installed"),
                (#"{"agent_id":"\#(agentID)","wua_updates":[{"guid":"b","revision_number":"1"}]}"#, "wua_updates[0].revision_number"),
                (#"{"agent_id":"\#(agentID)","wua_updates":[{"guid":"b","categories":"Security"}]}"#, "wua_updates[0].categories"),
                (#"{"agent_id":"\#(agentID)","wua_updates":"all"}"#, "wua_updates must be a list"),
                ("not json", "invalid request body"),
            ]
            for (body, prefix) in refusals {
                let reply = try await send(.post, "/api/v3/winupdates/", raw: body)
                #expect(reply.status == 400 && reply.json["detail"]?.stringValue?.hasPrefix(prefix) == true, "\(body): \(reply.text)")
            }
            // A long list (6,000 updates, about 1 MB) is refused whole, naming the field.
            let many = (0..<6_000).map { i -> JSON in ["guid": .string("bulk-\(i)"), "kb_article_ids": ["1"], "title": .string(String(repeating: "t", count: 100))] }
            let long = try await send(.post, "/api/v3/winupdates/", Self.scanBody(agentID, many))
            #expect(long.status == 400 && long.json["detail"]?.stringValue?.hasPrefix("wua_updates has 6000 items") == true, "\(long.text)")
            #expect(try await w.rowCount() == 0)

            // Another agent's id in the body is a 403; an operator is not an agent (401).
            let (otherID, otherToken) = try await w.enroll(hostname: "win-2")
            #expect(try await send(.post, "/api/v3/winupdates/", Self.scanBody(otherID, fixture)).status == 403)
            #expect(try await w.host.request(.post, "/api/v3/winupdates/", as: .token(w.admin), json: Self.scanBody(agentID, fixture)).status == 401)

            // The scan: 8 updates, one without a KB (skipped), two versions of one Defender KB
            // (the older is superseded): 6 rows, newest id first.
            #expect(try await send(.post, "/api/v3/winupdates/", Self.scanBody(agentID, fixture)).json == "ok")
            var rows = try await w.updates(agentID)
            #expect(rows.count == 6, "\(rows)")
            #expect(rows.compactMap { $0["id"]?.intValue } == rows.compactMap { $0["id"]?.intValue }.sorted(by: >))
            #expect(!rows.contains { $0["guid"]?.stringValue?.hasSuffix("0006") == true || $0["guid"]?.stringValue?.hasSuffix("0004") == true })
            let critical = try #require(try await w.row(agentID, guidSuffix: "0001"))
            #expect(critical["kb"] == "KB5046616" && critical["severity"] == "Critical" && critical["action"] == "nothing")
            #expect(critical["result"] == "n/a" && critical["date_installed"] == .null && critical["downloaded"] == true)
            #expect(critical["categories"] == ["Security Updates"] && critical["revision_number"] == 1)
            #expect(critical["agent"]?.intValue != nil)
            let keys = Set(critical.objectValue?.keys.map { $0 } ?? [])
            #expect(
                keys == [
                    "id", "agent", "guid", "kb", "title", "installed", "downloaded", "description", "severity", "categories", "category_ids",
                    "kb_article_ids", "more_info_urls", "support_url", "revision_number", "action", "result", "date_installed",
                ])

            // A second scan changes only installed/downloaded of known GUIDs.
            let changed = fixture.map { item -> JSON in
                guard case .object(var m) = item, m["guid"]?.stringValue?.hasSuffix("0001") == true else { return item }
                m["title"] = "renamed"
                m["installed"] = true
                return .object(m)
            }
            #expect(try await send(.post, "/api/v3/winupdates/", Self.scanBody(agentID, changed)).status == 200)
            let again = try #require(try await w.row(agentID, guidSuffix: "0001"))
            #expect(again["installed"] == true && again["title"] == critical["title"] && again["id"] == critical["id"])
            #expect(try await w.updates(agentID).count == 6)

            // Install results: a GUID the agent does not have is a 400 naming guid; success and
            // failure are recorded; bad types are refused.
            let unknown = try await send(.patch, "/api/v3/winupdates/", ["agent_id": .string(agentID), "guid": "nope", "success": true])
            #expect(unknown.status == 400 && unknown.json["detail"]?.stringValue?.hasPrefix("guid:") == true, "\(unknown.text)")
            let foreign = try await send(
                .patch, "/api/v3/winupdates/", ["agent_id": .string(otherID), "guid": "7e5b2a1f-0002-4c6e-9d2c-000000000002", "success": true],
                as: otherToken)
            #expect(foreign.status == 400, "another agent's GUID is not this one's: \(foreign.text)")
            #expect(
                try await send(.patch, "/api/v3/winupdates/", ["agent_id": .string(agentID), "guid": "7e5b2a1f-0002-4c6e-9d2c-000000000002", "success": "yes"])
                    .status == 400)
            #expect(
                try await send(.patch, "/api/v3/winupdates/", ["agent_id": .string(agentID), "guid": "7e5b2a1f-0002-4c6e-9d2c-000000000002", "success": true])
                    .json == "ok")
            #expect(
                try await send(.patch, "/api/v3/winupdates/", ["agent_id": .string(agentID), "guid": "7e5b2a1f-0008-4c6e-9d2c-000000000008", "success": false])
                    .json == "ok")
            let installed = try #require(try await w.row(agentID, guidSuffix: "0002"))
            #expect(installed["installed"] == true && installed["result"] == "success")
            let date = try #require(installed["date_installed"]?.stringValue)
            #expect(date.range(of: #"^\d\d \d\d \d{4} \d\d:\d\d$"#, options: .regularExpression) != nil, "\(date)")
            let failed = try #require(try await w.row(agentID, guidSuffix: "0008"))
            #expect(failed["installed"] == false && failed["result"] == "failed")

            // needs_reboot must be a boolean; with the default policy (inherit) nothing reboots.
            #expect(try await send(.put, "/api/v3/winupdates/", ["agent_id": .string(agentID), "needs_reboot": "true"]).status == 400)
            #expect(try await send(.put, "/api/v3/winupdates/", ["agent_id": .string(agentID), "needs_reboot": true]).json == "ok")

            // Superseded: the agent's rows with that GUID go.
            #expect(try await send(.post, "/api/v3/superseded/", ["agent_id": .string(agentID)]).status == 400)
            #expect(try await send(.post, "/api/v3/superseded/", ["agent_id": .string(agentID), "guid": "7e5b2a1f-0003-4c6e-9d2c-000000000003"]).json == "ok")
            rows = try await w.updates(agentID)
            #expect(rows.count == 5)
            _ = otherToken
        }
    }

    @Test func operatorRoutes_actionsPermissionAndScope() async throws {
        try await Self.with { w in
            let (agentID, token) = try await w.enroll()
            _ = try await w.host.request(.post, "/api/v3/winupdates/", as: .token(token), json: Self.scanBody(agentID, try WUAAgent.fixture()))
            let row = try #require(try await w.row(agentID, guidSuffix: "0001"))
            let pk = try #require(row["id"]?.intValue)
            for action in ["approve", "ignore", "nothing"] {
                let reply = try await w.host.request(.put, "/winupdate/\(pk)/", as: .token(w.admin), json: ["action": .string(action)])
                #expect(reply.status == 200 && reply.json == .string("Windows update KB5046616 was changed to \(action)"), "\(reply.text)")
            }
            for bad: JSON in [["action": "install"], ["action": 1], [:]] {
                let reply = try await w.host.request(.put, "/winupdate/\(pk)/", as: .token(w.admin), json: bad)
                #expect(reply.status == 400 && reply.json["detail"]?.stringValue?.hasPrefix("action") == true, "\(reply.text)")
            }
            #expect(try await w.host.request(.put, "/winupdate/999999/", as: .token(w.admin), json: ["action": "approve"]).status == 404)

            // A role without can_manage_winupdates: 403. A role scoped to another client: 404.
            let plain = try await w.host.user("nopatch", permissions: ["can_list_agents"], admin: w.admin)
            #expect(try await w.host.request(.get, "/winupdate/\(agentID)/", as: .token(plain)).status == 403)
            let (other, _) = try await w.host.client("Elsewhere", admin: w.admin)
            let scoped = try await w.host.user("scopedpatch", permissions: ["can_manage_winupdates"], clients: [other], admin: w.admin)
            #expect(try await w.host.request(.get, "/winupdate/\(agentID)/", as: .token(scoped)).status == 404)
            #expect(try await w.host.request(.put, "/winupdate/\(pk)/", as: .token(scoped), json: ["action": "approve"]).status == 404)
            #expect(try await w.host.request(.post, "/winupdate/\(agentID)/scan/", as: .token(scoped)).status == 404)
            let own = try await w.host.user("ownpatch", permissions: ["can_manage_winupdates"], clients: [w.client], admin: w.admin)
            #expect(try await w.host.request(.get, "/winupdate/\(agentID)/", as: .token(own)).json.arrayValue?.count == 6)

            // macOS agents have nothing to scan; an install with nothing approved is refused.
            let (macID, _) = try await w.enroll(plat: "darwin", hostname: "mac-1")
            let mac = try await w.host.request(.post, "/winupdate/\(macID)/scan/", as: .token(w.admin))
            #expect(mac.status == 400 && mac.json["detail"] == "Not available for darwin", "\(mac.text)")
            let none = try await w.host.request(.post, "/winupdate/\(agentID)/install/", as: .token(w.admin))
            #expect(none.status == 400 && none.json["detail"]?.stringValue?.hasPrefix("No approved updates on win-1") == true, "\(none.text)")
        }
    }

    @Test func patchPolicies_validationPrecedenceAndReset() async throws {
        try await Self.with { w in
            let (agentID, _) = try await w.enroll(type: "workstation")
            // The agent's own policy is made on first use with Tactical RMM's workstation days.
            let first = try await w.ok(.get, "/winupdate/\(agentID)/policy/").json
            let own = try #require(first["winupdatepolicy"]?[0])
            #expect(own["run_time_days"] == [5, 6] && own["critical"] == "inherit" && own["policy"] == .null, "\(first)")
            let ownPK = try #require(own["id"]?.intValue)

            let policy = try await w.clientPolicy("Patch Tuesday")
            for (body, prefix): (JSON, String) in [
                (["critical": "approve"], "policy is required"),
                (["policy": .init(policy), "critical": "always"], "critical must be one of"),
                (["policy": .init(policy), "run_time_hour": 24], "run_time_hour must be a whole number from 0 to 23"),
                (["policy": .init(policy), "run_time_days": [1, 9]], "run_time_days"),
                (["policy": 999_999], "policy: no automation policy"),
            ] {
                let reply = try await w.host.request(.post, "/automation/patchpolicy/", as: .token(w.admin), json: body)
                #expect(reply.status == 400 && reply.json["detail"]?.stringValue?.hasPrefix(prefix) == true, "\(body): \(reply.text)")
            }
            try await w.ok(
                .post, "/automation/patchpolicy/",
                [
                    "policy": .init(policy), "critical": "approve", "important": "approve", "run_time_frequency": "daily", "run_time_hour": 4,
                    "run_time_days": [0, 1, 2, 3, 4], "reboot_after_install": "required",
                ])
            let duplicate = try await w.host.request(.post, "/automation/patchpolicy/", as: .token(w.admin), json: ["policy": .init(policy)])
            #expect(duplicate.status == 400)

            // Effective: the policy's, with the agent's non-inherit values over it.
            try await w.ok(.put, "/automation/patchpolicy/\(ownPK)/", ["important": "ignore", "reboot_after_install": "never"])
            #expect(try await w.host.request(.put, "/automation/patchpolicy/\(ownPK)/", as: .token(w.admin), json: ["low": "sometimes"]).status == 400)
            var effective = try await w.ok(.get, "/winupdate/\(agentID)/policy/").json["effective_patch_policy"] ?? .null
            #expect(effective["critical"] == "approve" && effective["important"] == "ignore", "\(effective)")
            #expect(effective["run_time_hour"] == 4 && effective["run_time_days"] == [0, 1, 2, 3, 4] && effective["reboot_after_install"] == "never")
            #expect(effective["policy"]?.intValue == policy)

            // Reset puts the agent's own values back to inherit (hour and days stay).
            let reset = try await w.ok(.post, "/automation/patchpolicy/reset/", ["client": .init(w.client)])
            #expect(reset.json == "The patch policy on the affected agents has been reset.")
            let after = try await w.ok(.get, "/automation/patchpolicy/\(ownPK)/").json
            #expect(after["important"] == "inherit" && after["reboot_after_install"] == "inherit" && after["run_time_days"] == [5, 6])
            effective = try await w.ok(.get, "/winupdate/\(agentID)/policy/").json["effective_patch_policy"] ?? .null
            #expect(effective["important"] == "approve" && effective["reboot_after_install"] == "required")

            // A scoped role cannot reset another client's agents (404), and deleting the policy's
            // patch policy leaves the agent on its own.
            let (other, _) = try await w.host.client("Elsewhere", admin: w.admin)
            let scoped = try await w.host.user("scopedpol", permissions: ["can_manage_automation_policies"], clients: [other], admin: w.admin)
            #expect(try await w.host.request(.post, "/automation/patchpolicy/reset/", as: .token(scoped), json: ["client": .init(w.client)]).status == 404)
            let policyPK = try #require(effective["id"]?.intValue)
            try await w.ok(.delete, "/automation/patchpolicy/\(policyPK)/")
            effective = try await w.ok(.get, "/winupdate/\(agentID)/policy/").json["effective_patch_policy"] ?? .null
            #expect(effective["critical"] == "inherit" && effective["id"]?.intValue == ownPK)
        }
    }

    /// The whole cycle with an emulated agent over a real nats-server: check-in scan, approval
    /// by policy, the hourly check at the policy's hour once per local day, a failed update
    /// tried again the next day, reboot when required, and an offline agent's install waiting.
    @Test func endToEnd_scanApproveScheduledInstallRetryAndReboot() async throws {
        try await Self.with(nats: true) { w in
            let scheduler = Task { try await w.host.server.scheduler.run() }
            defer { scheduler.cancel() }
            let url = try #require(w.host.server.bus?.supervisor).url
            let (agentID, token) = try await w.enroll()
            let agent = try await WUAAgent.start(host: w.host, natsURL: url, agentID: agentID, token: token)
            defer { agent.stop() }
            // The agent says hello so it is online, then its service start asks for a scan.
            try await w.host.server.storage.pool.query(
                "UPDATE agents SET last_seen = now(), version = '2.9.1' WHERE agent_id = $1", [agentID])
            #expect(try await w.host.request(.post, "/api/v3/checkin/", as: .token(token), json: ["agent_id": .string(agentID)]).status == 200)
            try await eventually("scan stored") { try await w.updates(agentID).count == 6 }

            let policy = try await w.clientPolicy("Weekdays")
            try await w.ok(
                .post, "/automation/patchpolicy/",
                [
                    "policy": .init(policy), "critical": "approve", "low": "approve", "run_time_frequency": "daily", "run_time_hour": 4,
                    "run_time_days": [0, 1, 2, 3, 4], "reboot_after_install": "required",
                ])
            // Approval pass (00:02 job): Critical and Low, not the installed Moderate one.
            try await w.runJob("winupdate.approve", now: "2026-12-07T00:02:00Z")
            let approved = try await w.updates(agentID).filter { $0["action"] == "approve" }.compactMap { $0["kb"]?.stringValue }
            #expect(Set(approved) == ["KB5046616", "KB5040000"], "\(approved)")

            // Monday 03:05 UTC: not the hour. 04:05: installs; the Low one fails; reboot required.
            agent.failing.withLockedValue { $0 = ["7e5b2a1f-0008-4c6e-9d2c-000000000008"] }
            agent.needsReboot.withLockedValue { $0 = true }
            try await w.runJob("winupdate.install_check", now: "2026-12-07T03:05:00Z")
            #expect(agent.received("installwinupdates").isEmpty)
            try await w.runJob("winupdate.install_check", now: "2026-12-07T04:05:00Z")
            try await eventually("install run") { agent.installRuns == 1 }
            let sent = agent.received("installwinupdates").first?["guids"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(Set(sent) == ["7e5b2a1f-0001-4c6e-9d2c-000000000001", "7e5b2a1f-0008-4c6e-9d2c-000000000008"])
            try await eventually("rebootnow") { agent.received("rebootnow").count == 1 }
            let critical = try #require(try await w.row(agentID, guidSuffix: "0001"))
            #expect(critical["installed"] == true && critical["result"] == "success")
            let low = try #require(try await w.row(agentID, guidSuffix: "0008"))
            #expect(low["installed"] == false && low["result"] == "failed" && low["action"] == "approve")

            // Later the same day: no second install. The next day at 04:05: the failed one again.
            try await w.runJob("winupdate.install_check", now: "2026-12-07T04:30:00Z")
            #expect(agent.received("installwinupdates").count == 1)
            agent.failing.withLockedValue { $0 = [] }
            agent.needsReboot.withLockedValue { $0 = false }
            try await w.runJob("winupdate.install_check", now: "2026-12-08T04:05:00Z")
            try await eventually("second install run") { agent.installRuns == 2 }
            #expect(agent.received("installwinupdates").last?["guids"] == ["7e5b2a1f-0008-4c6e-9d2c-000000000008"])
            try await eventually("installed on retry") { try await w.row(agentID, guidSuffix: "0008")?["installed"] == true }
            // needs_reboot false with "required": no second reboot.
            #expect(agent.received("rebootnow").count == 1)

            // "always" reboots even when nothing needs it; the manual install sends at once.
            let own = try #require(try await w.ok(.get, "/winupdate/\(agentID)/policy/").json["winupdatepolicy"]?[0]?["id"]?.intValue)
            try await w.ok(.put, "/automation/patchpolicy/\(own)/", ["reboot_after_install": "always", "important": "approve"])
            let now = try await w.host.request(.post, "/winupdate/\(agentID)/install/", as: .token(w.admin))
            #expect(now.json == "Approved patches will now be installed on win-1", "\(now.text)")
            try await eventually("manual install run") { agent.installRuns == 3 }
            #expect(agent.received("installwinupdates").last?["guids"] == ["7e5b2a1f-0002-4c6e-9d2c-000000000002"])
            try await eventually("rebootnow on always") { agent.received("rebootnow").count == 2 }

            // An operator scan reaches the agent as getwinupdates.
            let scans = agent.received("getwinupdates").count
            #expect(try await w.host.request(.post, "/winupdate/\(agentID)/scan/", as: .token(w.admin)).json == "A Windows update scan will be performed on win-1")
            try await eventually("operator scan") { agent.received("getwinupdates").count == scans + 1 }
        }
    }

    @Test func anInstallThatComesDueWhileTheAgentIsOffline_runsOnceWhenItReturns() async throws {
        try await Self.with(nats: true) { w in
            let scheduler = Task { try await w.host.server.scheduler.run() }
            defer { scheduler.cancel() }
            let url = try #require(w.host.server.bus?.supervisor).url
            let (agentID, token) = try await w.enroll()
            _ = try await w.host.request(.post, "/api/v3/winupdates/", as: .token(token), json: Self.scanBody(agentID, try WUAAgent.fixture()))
            let pk = try #require(try await w.row(agentID, guidSuffix: "0001")?["id"]?.intValue)
            try await w.ok(.put, "/winupdate/\(pk)/", ["action": "approve"])
            let own = try #require(try await w.ok(.get, "/winupdate/\(agentID)/policy/").json["winupdatepolicy"]?[0]?["id"]?.intValue)
            try await w.ok(.put, "/automation/patchpolicy/\(own)/", ["run_time_frequency": "daily", "run_time_hour": 2, "run_time_days": [5]])
            // Offline (never seen): the check at its hour leaves a schedule waiting for it.
            try await w.host.server.storage.pool.query("UPDATE agents SET last_seen = NULL, version = '2.9.1' WHERE agent_id = $1", [agentID])
            try await w.runJob("winupdate.install_check", now: "2026-12-05T02:05:00Z")
            let waiting = try await w.host.server.storage.pool.query("SELECT agent_id FROM schedules WHERE id = $1", ["winupdate:install-\(agentID)"])
            #expect(waiting.first?["agent_id"] == agentID)
            // The agent comes back (hello over NATS marks it online): the install goes out once.
            let agent = try await WUAAgent.start(host: w.host, natsURL: url, agentID: agentID, token: token)
            defer { agent.stop() }
            try await w.host.server.storage.pool.query("UPDATE agents SET last_seen = now() WHERE agent_id = $1", [agentID])
            w.host.server.scheduler.poke()
            try await eventually("waiting install", timeout: .seconds(20)) { agent.installRuns == 1 }
            try await w.runJob("winupdate.install_check", now: "2026-12-05T02:30:00Z")
            #expect(agent.received("installwinupdates").count == 1)
        }
    }

    /// Linux through runscript: the stand-in agent runs the scan script for real on this
    /// Debian machine, its apt output becomes rows; an install runs a script naming exactly the
    /// approved packages (never run here: the stand-in answers for each package it names), and
    /// the reboot rule follows the script's reboot-required answer.
    @Test func linuxPackages_realAptScan_installOnlyApproved_rebootRequired() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/apt-get") else { return }
        try await Self.with(nats: true) { w in
            let url = try #require(w.host.server.bus?.supervisor).url
            let (agentID, token) = try await w.enroll(plat: "linux", hostname: "deb-1")
            try await w.host.server.storage.pool.query("UPDATE agents SET last_seen = now() WHERE agent_id = $1", [agentID])
            let agent = try await CommandAgent.start(url: url, agentID: agentID, token: token)
            defer { agent.stop() }
            let scan = try await w.host.request(.post, "/winupdate/\(agentID)/scan/", as: .token(w.admin))
            #expect(scan.json == "A package update scan will be performed on deb-1", "\(scan.text)")
            try await eventually("scan ran", timeout: .seconds(60)) { agent.received.contains { $0.command["func"] == "runscriptfull" } }
            // What apt would upgrade here, read independently of the script.
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "LC_ALL=C apt-get -s -o Debug::NoLocking=1 dist-upgrade 2>/dev/null | grep -c '^Inst '"]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let expected = Int(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            process.waitUntilExit()
            guard expected >= 2 else { return }
            try await eventually("packages stored", timeout: .seconds(60)) { try await w.updates(agentID).count == expected }
            let rows = try await w.updates(agentID)
            #expect(rows.allSatisfy { $0["guid"]?.stringValue?.hasPrefix("apt:") == true && $0["categories"]?[0] == "apt" })
            #expect(rows.allSatisfy { $0["kb"]?.stringValue == $0["guid"]?.stringValue?.dropFirst(4).description })

            let chosen = Array(rows.prefix(2))
            for row in chosen { try await w.ok(.put, "/winupdate/\(row["id"]?.intValue ?? 0)/", ["action": "approve"]) }
            let own = try #require(try await w.ok(.get, "/winupdate/\(agentID)/policy/").json["winupdatepolicy"]?[0]?["id"]?.intValue)
            try await w.ok(.put, "/automation/patchpolicy/\(own)/", ["reboot_after_install": "required"])
            #expect(try await w.host.request(.post, "/winupdate/\(agentID)/install/", as: .token(w.admin)).json == "Approved patches will now be installed on deb-1")
            try await eventually("installed", timeout: .seconds(30)) {
                try await w.updates(agentID).filter { $0["installed"] == true }.count == 2
            }
            let scripts = agent.received.filter { $0.command["func"] == "runscriptfull" }.compactMap { $0.command["payload"]?["code"]?.stringValue }
            let install = try #require(scripts.first { $0.contains("# Garrison patch install") })
            let named = install.split(separator: "\n").filter { $0.contains("apt-get install -y --only-upgrade") }
            let names = Set(chosen.compactMap { $0["kb"]?.stringValue })
            #expect(named.count == 2 && names.allSatisfy { name in named.contains { $0.contains("'\(name)'") } }, "\(install)")
            #expect(!install.contains("dist-upgrade") && !install.contains("apt-get upgrade"))
            try await eventually("rebootnow") { agent.received.contains { $0.command["func"] == "rebootnow" } }
        }
    }

    /// Bulk patch runs through the scripting plugin's /agents/actions/bulk/: scan sends
    /// getwinupdates, install hands the agents to this plugin (scripting.bulk.patch).
    @Test func bulkPatchScanAndInstall() async throws {
        try await Self.with(nats: true, scripting: true) { w in
            let url = try #require(w.host.server.bus?.supervisor).url
            var agents: [WUAAgent] = []
            defer { agents.forEach { $0.stop() } }
            for i in 0..<3 {
                let (agentID, token) = try await w.enroll(hostname: "bulk-\(i)")
                try await w.host.server.storage.pool.query("UPDATE agents SET last_seen = now() WHERE agent_id = $1", [agentID])
                agents.append(try await WUAAgent.start(host: w.host, natsURL: url, agentID: agentID, token: token))
            }
            let policy = try await w.clientPolicy("Bulk")
            try await w.ok(.post, "/automation/patchpolicy/", ["policy": .init(policy), "critical": "approve"])
            let scan = try await w.host.request(
                .post, "/agents/actions/bulk/", as: .token(w.admin),
                json: ["mode": "patch", "patchMode": "scan", "target": "client", "client": .init(w.client), "monType": "all", "osType": "all"])
            #expect(scan.status == 200, "\(scan.text)")
            for agent in agents { try await eventually("bulk scan", timeout: .seconds(30)) { try await w.updates(agent.agentID).count == 6 } }
            let install = try await w.host.request(
                .post, "/agents/actions/bulk/", as: .token(w.admin),
                json: ["mode": "patch", "patchMode": "install", "target": "client", "client": .init(w.client), "monType": "all", "osType": "all"])
            #expect(install.status == 200, "\(install.text)")
            for agent in agents {
                try await eventually("bulk install", timeout: .seconds(30)) { agent.installRuns == 1 }
                #expect(agent.received("installwinupdates").first?["guids"] == ["7e5b2a1f-0001-4c6e-9d2c-000000000001"])
            }
            let bad = try await w.host.request(
                .post, "/agents/actions/bulk/", as: .token(w.admin),
                json: ["mode": "patch", "patchMode": "upgrade", "target": "client", "client": .init(w.client), "monType": "all", "osType": "all"])
            #expect(bad.status == 400)
        }
    }
}
