import Foundation
@testable import GarrisonHost

/// Every route of the schema (core and the shipped plugins) with how the RBAC matrix calls
/// it and what it expects beyond the defaults of its kind (RBAC.Case.expectation). A route
/// missing here fails the matrix, so a new route cannot skip it.
extension RBAC {
    // Reasons shared by several routes.
    static let bodyTarget =
        "a client, site or agent named in the body or query is checked against the scope (docs/compatibility.md §3.1, rule 5)"
    static let reachesB = "it reaches client B's agents: a scoped role may change it only when all it reaches is inside its scope (rule 4)"
    static let libraryReach =
        "the script library is shared by every client: a script or snippet runs on any client's agents through their tasks, checks and runs, so a change by a role limited to some clients is code execution outside its scope (rule 4); such a role may add scripts, not change, delete, import over them or add snippets (every script can include a snippet by name)"
    static let operatorOfB =
        "the operator's role is scoped to client B, outside the caller's: changing them (or their key) is a take-over (rules 1-3)"
    static let globalWrite =
        "a role limited to some clients may not change what every client shares (core settings, key store values read by every script, plugins)"
    /// Whoever calls, a host without a monitoring token answers 401: the token is the only credential.
    static let monitoringTokenOnly: [RBAC.Who: RBAC.Expect] = [
        .anonymous: .status(401), .noPermission: .status(401), .otherScope: .status(401), .ownScope: .status(401), .superuser: .status(401),
    ]
    static let templateReachesB =
        "the alert template is assigned to client B: it decides who is told about B's agents, so a role limited to client A may not change it (rule 4, as for policies)"
    static let idleChannel =
        "the channel plugin is idle in the matrix (shipped settings: no SMTP server, no Twilio account): past the permission check the answer is Tactical RMM's 400 saying what is missing"
    static let meshUnreachable =
        "past permission and scope it asks MeshCentral, which the matrix points at a loopback port nothing listens on: 502"
    static let anonymousLogin = "signing in needs no credentials; the body carries them"
    static let dashboardFiles =
        "the dashboard's page and files load before anyone signs in and hold no data: what it shows comes from the routes here, with the operator's token"

    static var cases: [Case] {
        accounts + agents + agentAPI + alerts + automation + checks + clients + core + library + services + tasks + winupdate + software
    }

    // MARK: accounts

    static var accounts: [Case] {
        [
            Case("GET /accounts/apikeys/", .global) { _, _ in Req(path: "/accounts/apikeys/") },
            Case(
                "POST /accounts/apikeys/", .global, overrides: [.otherScope: .status(403)],
                reason: "an API key is for the caller; only a superuser makes one for another user (rule 1)"
            ) { w, ask in
                var body: [String: JSON] = ["name": .string(w.unique("rbac-key-"))]
                // The superuser may make one for A's operator; the scoped caller tries one for B's.
                if ask.who == .otherScope { body["user"] = .init(w.b.user) }
                if ask.who == .superuser { body["user"] = .init(w.a.user) }
                return Req(path: "/accounts/apikeys/", json: .object(body))
            },
            Case("DELETE /accounts/apikeys/{pk}/", .global, overrides: [.otherScope: .status(403)], reason: operatorOfB) { w, ask in
                Req(path: "/accounts/apikeys/\(try await w.freshAPIKey(ask.side))/")
            },
            Case("PUT /accounts/apikeys/{pk}/", .global, overrides: [.otherScope: .status(403)], reason: operatorOfB) { w, ask in
                Req(path: "/accounts/apikeys/\(w.side(ask.side).apiKey)/", json: ["name": .string(w.unique("rbac-key-"))])
            },
            Case("PUT /accounts/reset2fa/", .global, freshCallers: true) { w, ask in
                // The caller's own second factor: enroll it, then reset it with a current code.
                guard case .token(let token) = ask.credential else { return Req(path: "/accounts/reset2fa/", json: ["code": "000000"]) }
                let secret = try await w.setupTOTP(token)
                try await RBACWorld.ok(
                    w.host, .post, "/accounts/users/confirm_totp/", token, ["code": .string(try await w.code(secret, -1))])
                return Req(path: "/accounts/reset2fa/", json: ["code": .string(try await w.code(secret, 0))])
            },
            Case("PUT /accounts/resetpw/", .global, freshCallers: true) { _, _ in
                Req(path: "/accounts/resetpw/", json: ["password": "rbac-new-password-1"])
            },
            Case("PATCH /accounts/users/ui/", .global) { _, _ in Req(path: "/accounts/users/ui/", json: ["dark_mode": false]) },
            Case("GET /accounts/roles/", .global) { _, _ in Req(path: "/accounts/roles/") },
            Case(
                "POST /accounts/roles/", .global, overrides: [.otherScope: .status(403)],
                reason: "nobody grants a scope they do not hold (rule 3)"
            ) { w, ask in
                Req(
                    path: "/accounts/roles/",
                    json: [
                        "name": .string(w.unique("rbac-role-")), "can_list_agents": true,
                        "can_view_clients": [.init(w.side(ask.side).client)],
                    ])
            },
            Case(
                "DELETE /accounts/roles/{pk}/", .global, overrides: [.otherScope: .status(403)],
                reason:
                    "the role is held by an operator of client B; deleting it changes an operator the caller may not manage (judgement: rules 2-3)"
            ) { w, ask in
                Req(path: "/accounts/roles/\(try await w.freshRole(ask.side))/")
            },
            Case("GET /accounts/roles/{pk}/", .global) { w, ask in Req(path: "/accounts/roles/\(w.side(ask.side).role)/") },
            Case(
                "PUT /accounts/roles/{pk}/", .global, overrides: [.otherScope: .status(403)],
                reason: "nobody grants a scope they do not hold (rule 3): A's role is given client B"
            ) { w, ask in
                let clients: [JSON] = ask.who == .otherScope ? [.init(w.a.client), .init(w.b.client)] : [.init(w.a.client)]
                return Req(path: "/accounts/roles/\(w.a.role)/", json: ["can_list_agents": true, "can_view_clients": .array(clients)])
            },
            Case(
                "DELETE /accounts/sessions/{id}/", .global, overrides: [.noPermission: .status(403), .otherScope: .status(403)],
                reason:
                    "another operator's session needs can_manage_accounts; ending the sessions of an operator outside the scope is managing them (judgement: rule 2, rule 8's logout weapon)"
            ) { w, ask in
                Req(path: "/accounts/sessions/\(try await w.freshSession(ask.side))/")
            },
            Case("GET /accounts/users/", .global) { _, _ in Req(path: "/accounts/users/") },
            Case(
                "POST /accounts/users/", .global, overrides: [.otherScope: .status(403)],
                reason: "nobody grants a role whose scope they do not hold (rule 3)"
            ) { w, ask in
                Req(
                    path: "/accounts/users/",
                    json: [
                        "username": .string(w.unique("rbac-new-user-")), "password": .string(RBACWorld.password),
                        "role": .init(w.side(ask.side).role),
                    ])
            },
            Case("POST /accounts/users/confirm_totp/", .global, freshCallers: true) { w, ask in
                guard case .token(let token) = ask.credential else {
                    return Req(path: "/accounts/users/confirm_totp/", json: ["code": "000000"])
                }
                let secret = try await w.setupTOTP(token)
                return Req(path: "/accounts/users/confirm_totp/", json: ["code": .string(try await w.code(secret, -1))])
            },
            Case("POST /accounts/users/reset/", .global, overrides: [.otherScope: .status(403)], reason: operatorOfB) { w, ask in
                Req(
                    path: "/accounts/users/reset/",
                    json: ["id": .init(try await w.freshUser(ask.side)), "password": "rbac-reset-password-1"])
            },
            Case("PUT /accounts/users/reset_totp/", .global, overrides: [.otherScope: .status(403)], reason: operatorOfB) { w, ask in
                Req(path: "/accounts/users/reset_totp/", json: ["id": .init(w.side(ask.side).user)])
            },
            Case("POST /accounts/users/setup_totp/", .global, freshCallers: true) { _, _ in Req(path: "/accounts/users/setup_totp/") },
            Case("GET /accounts/users/totp_status/", .global) { _, _ in Req(path: "/accounts/users/totp_status/") },
            Case(
                "DELETE /accounts/users/{pk}/sessions/", .global, overrides: [.noPermission: .status(403), .otherScope: .status(403)],
                reason:
                    "another operator's sessions need can_manage_accounts; ending those of an operator outside the scope is managing them (judgement: rule 2, rule 8's logout weapon)"
            ) { w, ask in
                Req(path: "/accounts/users/\(try await w.freshUser(ask.side))/sessions/")
            },
            Case(
                "GET /accounts/users/{pk}/sessions/", .global, overrides: [.noPermission: .status(403)],
                reason: "another operator's sessions need can_list_accounts"
            ) { w, ask in
                Req(path: "/accounts/users/\(w.side(ask.side).user)/sessions/")
            },
            Case("DELETE /accounts/{pk}/users/", .global, overrides: [.otherScope: .status(403)], reason: operatorOfB) { w, ask in
                Req(path: "/accounts/\(try await w.freshUser(ask.side))/users/")
            },
            Case("GET /accounts/{pk}/users/", .global) { w, ask in Req(path: "/accounts/\(w.side(ask.side).user)/users/") },
            Case("PUT /accounts/{pk}/users/", .global, overrides: [.otherScope: .status(403)], reason: operatorOfB) { w, ask in
                Req(path: "/accounts/\(w.side(ask.side).user)/users/", json: ["first_name": "Rbac"])
            },
        ]
    }

    // MARK: alerts

    static var alerts: [Case] {
        [
            Case("PATCH /alerts/", .list) { _, _ in Req(path: "/alerts/", json: [:]) },
            // An agentless alert: no client or site to be outside of.
            Case("POST /alerts/", .global) { w, _ in
                Req(path: "/alerts/", json: ["alert_type": "custom", "message": .string(w.unique("rbac-alert-"))])
            },
            Case(
                "POST /alerts/bulk/", .scoped, overrides: [.otherScope: .success],
                reason:
                    "Tactical RMM's role filter: alerts outside the scope among those named are skipped and the answer is \"ok\" either way (PluginsAlertsTests proves B's alert is left alone)"
            ) { w, ask in
                Req(path: "/alerts/bulk/", json: ["bulk_action": "snooze", "alerts": [.init(w.side(ask.side).alert)], "snooze_days": 1])
            },
            Case("DELETE /alerts/{pk}/", .scoped) { w, ask in Req(path: "/alerts/\(try await w.freshAlert(ask.side))/") },
            Case("GET /alerts/{pk}/", .scoped) { w, ask in Req(path: "/alerts/\(w.side(ask.side).alert)/") },
            Case("PUT /alerts/{pk}/", .scoped) { w, ask in
                Req(path: "/alerts/\(w.side(ask.side).alert)/", json: ["type": "snooze", "snooze_days": 1])
            },
            Case("GET /alerts/assignments/", .list) { _, _ in Req(path: "/alerts/assignments/") },
            Case("PUT /alerts/assignments/", .global, overrides: [.otherScope: .refused], reason: bodyTarget) { w, ask in
                let o = w.side(ask.side)
                return Req(path: "/alerts/assignments/", json: ["client": .init(o.client), "alert_template": .init(o.template)])
            },
            Case("GET /alerts/templates/", .global) { _, _ in Req(path: "/alerts/templates/") },
            Case("POST /alerts/templates/", .global) { w, _ in
                Req(path: "/alerts/templates/", json: ["name": .string(w.unique("rbac-template-"))])
            },
            Case("DELETE /alerts/templates/{pk}/", .global, overrides: [.otherScope: .status(403)], reason: templateReachesB) { w, ask in
                Req(path: "/alerts/templates/\(try await w.freshTemplate(ask.side))/")
            },
            Case("GET /alerts/templates/{pk}/", .global) { w, ask in Req(path: "/alerts/templates/\(w.side(ask.side).template)/") },
            Case("PUT /alerts/templates/{pk}/", .global, overrides: [.otherScope: .status(403)], reason: templateReachesB) { w, ask in
                Req(path: "/alerts/templates/\(w.side(ask.side).template)/", json: ["check_periodic_alert_days": 1])
            },
            Case("GET /alerts/templates/{pk}/related/", .list) { w, ask in
                Req(path: "/alerts/templates/\(w.side(ask.side).template)/related/")
            },
        ]
    }

    // MARK: agents (operator routes)

    static func agentPath(_ w: RBACWorld, _ ask: Ask, _ rest: String = "") -> String { "/agents/\(w.side(ask.side).agentID)/\(rest)" }

    static var agents: [Case] {
        [
            Case("GET /agents/", .list) { _, _ in Req(path: "/agents/") },
            Case("POST /agents/actions/bulk/", .scoped, overrides: [.otherScope: .refused], reason: bodyTarget) { w, ask in
                Req(
                    path: "/agents/actions/bulk/",
                    json: [
                        "mode": "command", "target": "agents", "agents": [.string(w.side(ask.side).agentID)], "cmd": "uptime",
                        "shell": "/bin/bash", "timeout": 5,
                    ])
            },
            Case("GET /agents/actions/bulk/{pk}/", .scoped) { w, ask in Req(path: "/agents/actions/bulk/\(w.side(ask.side).bulkRun)/") },
            Case("GET /agents/history/", .list) { _, _ in Req(path: "/agents/history/") },
            Case("GET /agents/versions/", .list) { _, _ in Req(path: "/agents/versions/") },
            Case("GET /agents/scripthistory/", .list) { _, _ in Req(path: "/agents/scripthistory/?start=2000-01-01&end=2100-01-01") },
            Case("POST /agents/maintenance/bulk/", .scoped, overrides: [.otherScope: .refused], reason: bodyTarget) { w, ask in
                Req(path: "/agents/maintenance/bulk/", json: ["type": "Site", "id": .init(w.side(ask.side).site), "action": false])
            },
            Case("POST /agents/installer/", .scoped, overrides: [.otherScope: .refused], reason: bodyTarget) { w, ask in
                Req(path: "/agents/installer/", json: ["site": .init(w.side(ask.side).site), "plat": "linux"])
            },
            Case("GET /agents/notes/", .list) { _, _ in Req(path: "/agents/notes/") },
            Case("POST /agents/notes/", .scoped, overrides: [.otherScope: .refused], reason: bodyTarget) { w, ask in
                Req(path: "/agents/notes/", json: ["agent_id": .string(w.side(ask.side).agentID), "note": "rbac matrix"])
            },
            Case("GET /agents/notes/{pk}/", .scoped) { w, ask in Req(path: "/agents/notes/\(w.side(ask.side).note)/") },
            Case("PUT /agents/notes/{pk}/", .scoped) { w, ask in
                Req(path: "/agents/notes/\(try await w.freshNote(ask.side))/", json: ["note": "rbac edit"])
            },
            Case("DELETE /agents/notes/{pk}/", .scoped) { w, ask in Req(path: "/agents/notes/\(try await w.freshNote(ask.side))/") },
            Case("POST /agents/update/", .scoped, overrides: [.otherScope: .refused], reason: bodyTarget) { w, ask in
                Req(path: "/agents/update/", json: ["agent_ids": [.string(w.side(ask.side).agentID)]])
            },
            Case("DELETE /agents/{agent_id}/", .scoped) { w, ask in Req(path: "/agents/\(try await w.freshAgent(ask.side))/") },
            Case("GET /agents/{agent_id}/", .scoped) { w, ask in Req(path: agentPath(w, ask)) },
            Case("PUT /agents/{agent_id}/", .scoped) { w, ask in Req(path: agentPath(w, ask), json: ["description": "rbac"]) },
            Case("GET /agents/{agent_id}/checks/", .scoped) { w, ask in Req(path: agentPath(w, ask, "checks/")) },
            Case("POST /agents/{agent_id}/checks/", .scoped) { w, ask in
                Req(path: agentPath(w, ask, "checks/"), json: .object(RBACWorld.pingCheck(w.unique("rbac-check-"))))
            },
            Case("POST /agents/{agent_id}/cmd/", .scoped) { w, ask in
                Req(path: agentPath(w, ask, "cmd/"), json: ["shell": "/bin/bash", "cmd": "uptime", "timeout": 5])
            },
            Case("GET /agents/{agent_id}/eventlog/{logtype}/{days}/", .scoped) { w, ask in
                Req(path: agentPath(w, ask, "eventlog/System/1/"))
            },
            Case("GET /agents/{agent_id}/history/", .scoped) { w, ask in Req(path: agentPath(w, ask, "history/")) },
            Case("GET /agents/{agent_id}/meshcentral/", .scoped) { w, ask in Req(path: agentPath(w, ask, "meshcentral/")) },
            Case("POST /agents/{agent_id}/meshcentral/", .scoped) { w, ask in Req(path: agentPath(w, ask, "meshcentral/")) },
            Case("GET /agents/{agent_id}/meshcentral/recover/", .scoped) { w, ask in Req(path: agentPath(w, ask, "meshcentral/recover/")) },
            Case("POST /agents/{agent_id}/meshcentral/recover/", .scoped) { w, ask in
                Req(path: agentPath(w, ask, "meshcentral/recover/"))
            },
            Case(
                "GET /agents/{agent_id}/{port}/webvnc/", .scoped, overrides: [.ownScope: .status(502), .superuser: .status(502)],
                reason: meshUnreachable
            ) { w, ask in Req(path: agentPath(w, ask, "5900/webvnc/")) },
            Case("GET /agents/{agent_id}/notes/", .scoped) { w, ask in Req(path: agentPath(w, ask, "notes/")) },
            Case("POST /agents/{agent_id}/notes/", .scoped) { w, ask in
                Req(path: agentPath(w, ask, "notes/"), json: ["note": "rbac matrix"])
            },
            Case("GET /agents/{agent_id}/pendingactions/", .scoped) { w, ask in Req(path: agentPath(w, ask, "pendingactions/")) },
            Case("GET /agents/{agent_id}/ping/", .scoped) { w, ask in Req(path: agentPath(w, ask, "ping/")) },
            Case("GET /agents/{agent_id}/processes/", .scoped) { w, ask in Req(path: agentPath(w, ask, "processes/")) },
            Case("DELETE /agents/{agent_id}/processes/{pid}/", .scoped) { w, ask in Req(path: agentPath(w, ask, "processes/812/")) },
            Case("PATCH /agents/{agent_id}/reboot/", .scoped) { w, ask in
                Req(path: agentPath(w, ask, "reboot/"), json: ["datetime": "2099-01-01T00:00"])
            },
            Case("POST /agents/{agent_id}/reboot/", .scoped) { w, ask in Req(path: agentPath(w, ask, "reboot/")) },
            Case("POST /agents/{agent_id}/recover/", .scoped) { w, ask in Req(path: agentPath(w, ask, "recover/"), json: ["mode": "mesh"])
            },
            Case("POST /agents/{agent_id}/runscript/", .scoped) { w, ask in
                Req(path: agentPath(w, ask, "runscript/"), json: ["script": .init(w.a.script), "output": "wait", "timeout": 5])
            },
            Case("POST /agents/{agent_id}/shutdown/", .scoped) { w, ask in Req(path: agentPath(w, ask, "shutdown/")) },
            Case("GET /agents/{agent_id}/tasks/", .scoped) { w, ask in Req(path: agentPath(w, ask, "tasks/")) },
            Case("POST /agents/{agent_id}/wmi/", .scoped) { w, ask in Req(path: agentPath(w, ask, "wmi/")) },
            Case(
                "POST /agents/{agent_id}/wol/", .scoped, overrides: [.ownScope: .status(502), .superuser: .status(502)],
                reason: meshUnreachable
            ) { w, ask in Req(path: agentPath(w, ask, "wol/")) },
            Case("GET /api/schema/", .global) { _, _ in Req(path: "/api/schema/") },
        ]
    }

    // MARK: the agent's own API (the caller is agent A, or agent B for A's objects)

    static var agentAPI: [Case] {
        [
            Case("POST /api/v3/checkin/", .agent) { w, _ in Req(path: "/api/v3/checkin/", json: ["agent_id": .string(w.a.agentID)]) },
            Case("PATCH /api/v3/checkrunner/", .agent) { w, _ in
                Req(
                    path: "/api/v3/checkrunner/",
                    json: ["id": .init(w.a.check), "agent_id": .string(w.a.agentID), "status": "passing", "output": "ok"])
            },
            Case("POST /api/v3/choco/", .agent) { w, _ in
                Req(path: "/api/v3/choco/", json: ["agent_id": .string(w.a.agentID), "installed": false])
            },
            Case(
                "POST /api/v3/meshexe/", .global, overrides: [.ownScope: .status(502), .superuser: .status(502), .otherScope: .status(502)],
                reason: meshUnreachable
            ) { _, _ in Req(path: "/api/v3/meshexe/", json: ["goarch": "amd64", "plat": "windows"]) },
            Case("GET /api/v3/installer/", .global) { _, _ in Req(path: "/api/v3/installer/") },
            Case("POST /api/v3/installer/", .global) { _, _ in Req(path: "/api/v3/installer/", json: ["version": "99.0.0"]) },
            Case("POST /api/v3/newagent/", .scoped, overrides: [.otherScope: .refused], reason: bodyTarget) { w, ask in
                Req(
                    path: "/api/v3/newagent/",
                    json: RBACWorld.enrollBody(BusTests.agentID(), site: w.side(ask.side).site, hostname: "rbac-enrolled"))
            },
            Case("POST /api/v3/software/", .agent) { w, _ in
                Req(path: "/api/v3/software/", json: ["agent_id": .string(w.a.agentID), "software": []])
            },
            Case("POST /api/v3/syncmesh/", .agent) { w, _ in
                Req(path: "/api/v3/syncmesh/", json: ["agent_id": .string(w.a.agentID), "nodeid": .string(String(repeating: "CD", count: 48))])
            },
            Case("GET /api/v3/{agent_id}/checkinterval/", .agent) { w, _ in Req(path: "/api/v3/\(w.a.agentID)/checkinterval/") },
            Case("GET /api/v3/{agent_id}/checkrunner/", .agent) { w, _ in Req(path: "/api/v3/\(w.a.agentID)/checkrunner/") },
            Case(
                "GET /api/v3/{agent_id}/config/",
                .anonymous(
                    "an agent whose token stopped working must still get its intervals; any non-200 crashes agent 2.9.1 (AgentAPIRoutes)")
            ) { w, _ in
                Req(path: "/api/v3/\(w.a.agentID)/config/")
            },
            Case("GET /api/v3/{agent_id}/runchecks/", .agent) { w, _ in Req(path: "/api/v3/\(w.a.agentID)/runchecks/") },
            Case("PATCH /api/v3/{hist_pk}/{agent_id}/histresult/", .agent) { w, _ in
                Req(path: "/api/v3/\(w.a.history)/\(w.a.agentID)/histresult/", json: ["results": "rbac"])
            },
            Case("GET /api/v3/{pk}/{agent_id}/taskrunner/", .agent) { w, _ in Req(path: "/api/v3/\(w.a.task)/\(w.a.agentID)/taskrunner/") },
            Case("PATCH /api/v3/{pk}/{agent_id}/taskrunner/", .agent) { w, _ in
                Req(
                    path: "/api/v3/\(w.a.task)/\(w.a.agentID)/taskrunner/",
                    json: ["stdout": "", "stderr": "", "retcode": 0, "execution_time": 0.1])
            },
            Case("POST /api/v3/winupdates/", .agent) { w, _ in
                Req(
                    path: "/api/v3/winupdates/",
                    json: ["agent_id": .string(w.a.agentID), "wua_updates": [["guid": .string(w.a.winUpdateGUID), "kb_article_ids": ["5000001"]]]])
            },
            Case("PATCH /api/v3/winupdates/", .agent) { w, _ in
                Req(path: "/api/v3/winupdates/", json: ["agent_id": .string(w.a.agentID), "guid": .string(w.a.winUpdateGUID), "success": false])
            },
            Case("PUT /api/v3/winupdates/", .agent) { w, _ in
                Req(path: "/api/v3/winupdates/", json: ["agent_id": .string(w.a.agentID), "needs_reboot": false])
            },
            Case("POST /api/v3/superseded/", .agent) { w, _ in
                Req(path: "/api/v3/superseded/", json: ["agent_id": .string(w.a.agentID), "guid": "rbac-no-such-update"])
            },
            Case("PATCH /api/v4/{agent_id}/{pk}/chocoresult/", .agent) { w, _ in
                Req(path: "/api/v4/\(w.a.agentID)/\(w.a.chocoAction)/chocoresult/", json: ["results": "rbac"])
            },
        ]
    }

    // MARK: automation policies

    static var automation: [Case] {
        [
            Case("GET /automation/checks/{pk}/status/", .list) { w, ask in
                Req(path: "/automation/checks/\(w.side(ask.side).policyCheck)/status/")
            },
            Case("GET /automation/policies/", .global) { _, _ in Req(path: "/automation/policies/") },
            Case("GET /automation/policies/overview/", .list) { _, _ in Req(path: "/automation/policies/overview/") },
            Case("POST /automation/policies/", .global) { w, _ in
                Req(path: "/automation/policies/", json: ["name": .string(w.unique("rbac-policy-"))])
            },
            Case("DELETE /automation/policies/{pk}/", .global, overrides: [.otherScope: .status(403)], reason: reachesB) { w, ask in
                Req(path: "/automation/policies/\(try await w.freshPolicy(ask.side))/")
            },
            Case("GET /automation/policies/{pk}/", .global) { w, ask in Req(path: "/automation/policies/\(w.side(ask.side).policy)/") },
            Case("PUT /automation/policies/{pk}/", .global, overrides: [.otherScope: .status(403)], reason: reachesB) { w, ask in
                Req(path: "/automation/policies/\(w.side(ask.side).policy)/", json: ["desc": "rbac"])
            },
            Case("GET /automation/policies/{pk}/checks/", .global) { w, ask in
                Req(path: "/automation/policies/\(w.side(ask.side).policy)/checks/")
            },
            Case("POST /automation/policies/{pk}/checks/", .global, overrides: [.otherScope: .status(403)], reason: reachesB) { w, ask in
                Req(
                    path: "/automation/policies/\(w.side(ask.side).policy)/checks/",
                    json: .object(RBACWorld.pingCheck(w.unique("rbac-pcheck-"))))
            },
            Case("GET /automation/policies/{pk}/related/", .list) { w, ask in
                Req(path: "/automation/policies/\(w.side(ask.side).policy)/related/")
            },
        ]
    }

    // MARK: software (the software plugin)

    static let linuxAgents =
        "the world's agents run Linux: past the permission and scope checks the answer is Tactical RMM's 400 \"Not available for linux\""

    static var software: [Case] {
        let windowsOnly: [RBAC.Who: RBAC.Expect] = [.ownScope: .status(400), .superuser: .status(400)]
        return [
            Case("GET /software/chocos/", .global) { _, _ in Req(path: "/software/chocos/") },
            Case("GET /software/", .list) { _, _ in Req(path: "/software/") },
            Case("GET /software/{agent_id}/", .scoped) { w, ask in Req(path: "/software/\(w.side(ask.side).agentID)/") },
            Case("POST /software/{agent_id}/", .scoped, overrides: windowsOnly, reason: linuxAgents) { w, ask in
                Req(path: "/software/\(w.side(ask.side).agentID)/", json: ["name": "firefox"])
            },
            Case("PUT /software/{agent_id}/", .scoped, overrides: windowsOnly, reason: linuxAgents) { w, ask in
                Req(path: "/software/\(w.side(ask.side).agentID)/")
            },
            Case("POST /software/{agent_id}/uninstall/", .scoped, overrides: windowsOnly, reason: linuxAgents) { w, ask in
                Req(
                    path: "/software/\(w.side(ask.side).agentID)/uninstall/",
                    json: ["name": "7-Zip", "command": "MsiExec.exe /X{23170F69}", "timeout": 60, "run_as_user": false])
            },
        ]
    }

    // MARK: winupdate (the patching plugin)

    static let nothingApproved =
        "the world's agents have no approved update: after the permission and scope checks an install answers 400 saying so"

    static var winupdate: [Case] {
        [
            Case("GET /winupdate/{agent_id}/", .scoped) { w, ask in Req(path: "/winupdate/\(w.side(ask.side).agentID)/") },
            Case("GET /winupdate/{agent_id}/policy/", .scoped) { w, ask in Req(path: "/winupdate/\(w.side(ask.side).agentID)/policy/") },
            Case("POST /winupdate/{agent_id}/scan/", .scoped) { w, ask in Req(path: "/winupdate/\(w.side(ask.side).agentID)/scan/") },
            Case("POST /winupdate/{agent_id}/install/", .scoped, overrides: [.ownScope: .status(400), .superuser: .status(400)], reason: nothingApproved)
            { w, ask in Req(path: "/winupdate/\(w.side(ask.side).agentID)/install/") },
            Case("PUT /winupdate/{pk}/", .scoped) { w, ask in Req(path: "/winupdate/\(w.side(ask.side).winUpdate)/", json: ["action": "nothing"]) },
            Case("POST /automation/patchpolicy/", .global, overrides: [.otherScope: .status(403)], reason: reachesB) { w, ask in
                Req(path: "/automation/patchpolicy/", json: ["policy": .init(try await w.freshPolicy(ask.side)), "critical": "manual"])
            },
            Case("POST /automation/patchpolicy/reset/", .scoped, overrides: [.otherScope: .refused], reason: bodyTarget) { w, ask in
                Req(path: "/automation/patchpolicy/reset/", json: ["client": .init(w.side(ask.side).client)])
            },
            Case("DELETE /automation/patchpolicy/{pk}/", .global, overrides: [.otherScope: .status(403)], reason: reachesB) { w, ask in
                Req(path: "/automation/patchpolicy/\(try await w.freshPatchPolicy(ask.side))/")
            },
            Case("GET /automation/patchpolicy/{pk}/", .global) { w, ask in Req(path: "/automation/patchpolicy/\(w.side(ask.side).patchPolicy)/") },
            Case("PUT /automation/patchpolicy/{pk}/", .global, overrides: [.otherScope: .status(403)], reason: reachesB) { w, ask in
                Req(path: "/automation/patchpolicy/\(w.side(ask.side).patchPolicy)/", json: ["run_time_hour": 3])
            },
        ]
    }

    // MARK: checks

    static var checks: [Case] {
        [
            Case("GET /checks/", .list) { _, _ in Req(path: "/checks/") },
            Case("POST /checks/", .scoped, overrides: [.otherScope: .refused], reason: bodyTarget) { w, ask in
                var body = RBACWorld.pingCheck(w.unique("rbac-check-"))
                body["agent"] = .string(w.side(ask.side).agentID)
                return Req(path: "/checks/", json: .object(body))
            },
            Case("POST /checks/{agent_id}/resetall/", .scoped) { w, ask in Req(path: "/checks/\(w.side(ask.side).agentID)/resetall/") },
            Case("POST /checks/{agent_id}/run/", .scoped) { w, ask in Req(path: "/checks/\(w.side(ask.side).agentID)/run/") },
            Case("DELETE /checks/{pk}/", .scoped) { w, ask in Req(path: "/checks/\(try await w.freshCheck(ask.side))/") },
            Case("GET /checks/{pk}/", .scoped) { w, ask in Req(path: "/checks/\(w.side(ask.side).check)/") },
            Case("PUT /checks/{pk}/", .scoped) { w, ask in Req(path: "/checks/\(w.side(ask.side).check)/", json: ["fails_b4_alert": 1]) },
            Case("PATCH /checks/{pk}/history/", .scoped) { w, ask in
                Req(path: "/checks/\(w.side(ask.side).checkResult)/history/", json: ["timeFilter": 1])
            },
            Case("POST /checks/{pk}/reset/", .scoped) { w, ask in Req(path: "/checks/\(w.side(ask.side).checkResult)/reset/") },
            Case("POST /checks/{target}/{pk}/csbulkrun/", .scoped) { w, ask in
                Req(path: "/checks/client/\(w.side(ask.side).client)/csbulkrun/")
            },
        ]
    }

    // MARK: clients, sites, deployments

    static var clients: [Case] {
        [
            Case("GET /clients/", .list) { _, _ in Req(path: "/clients/") },
            Case(
                "POST /clients/", .global, overrides: [.otherScope: .status(403), .ownScope: .status(403)],
                reason:
                    "a role limited to some clients cannot add a client: it would make an object outside its own scope (judgement: rule 5, client writes need client-level scope)"
            ) { w, _ in
                Req(path: "/clients/", json: ["client": ["name": .string(w.unique("rbac-new-client-"))], "site": ["name": "HQ"]])
            },
            Case("GET /clients/deployments/", .list) { _, _ in Req(path: "/clients/deployments/") },
            Case("POST /clients/deployments/", .scoped, overrides: [.otherScope: .refused], reason: bodyTarget) { w, ask in
                Req(
                    path: "/clients/deployments/",
                    json: ["site": .init(w.side(ask.side).site), "expires": "2099-01-01T00:00", "install_flags": [:]])
            },
            Case("DELETE /clients/deployments/{pk}/", .scoped) { w, ask in
                Req(path: "/clients/deployments/\(try await w.freshDeployment(ask.side))/")
            },
            Case("GET /clients/sites/", .list) { _, _ in Req(path: "/clients/sites/") },
            Case("POST /clients/sites/", .scoped, overrides: [.otherScope: .refused], reason: bodyTarget) { w, ask in
                Req(
                    path: "/clients/sites/",
                    json: ["site": ["client": .init(w.side(ask.side).client), "name": .string(w.unique("rbac-new-site-"))]])
            },
            Case("DELETE /clients/sites/{pk}/", .scoped) { w, ask in Req(path: "/clients/sites/\(try await w.freshSite(ask.side))/") },
            Case("GET /clients/sites/{pk}/", .scoped) { w, ask in Req(path: "/clients/sites/\(w.side(ask.side).site)/") },
            Case("PUT /clients/sites/{pk}/", .scoped) { w, ask in
                Req(path: "/clients/sites/\(w.side(ask.side).site)/", json: ["site": ["block_policy_inheritance": false]])
            },
            Case("DELETE /clients/{pk}/", .scoped) { w, ask in Req(path: "/clients/\(try await w.freshClient(ask.side))/") },
            Case("GET /clients/{pk}/", .scoped) { w, ask in Req(path: "/clients/\(w.side(ask.side).client)/") },
            Case("PUT /clients/{pk}/", .scoped) { w, ask in
                Req(path: "/clients/\(w.side(ask.side).client)/", json: ["client": ["block_policy_inheritance": false]])
            },
            Case(
                "GET /clients/{uid}/deploy/",
                .anonymous("a deployment link is fetched by the installer on the target machine; its random uid is the secret")
            ) { w, _ in
                Req(path: "/clients/\(w.a.deploymentUID)/deploy/")
            },
        ]
    }

    // MARK: core, logs, login

    static var core: [Case] {
        [
            Case(
                "POST /core/emailtest/", .global, overrides: [.superuser: .status(400), .ownScope: .status(400), .otherScope: .status(400)],
                reason: idleChannel
            ) { _, _ in Req(path: "/core/emailtest/") },
            Case(
                "POST /core/smstest/", .global, overrides: [.superuser: .status(400), .ownScope: .status(400), .otherScope: .status(400)],
                reason: idleChannel
            ) { _, _ in Req(path: "/core/smstest/") },
            Case("GET /core/urlaction/", .global) { _, _ in Req(path: "/core/urlaction/") },
            Case("POST /core/urlaction/", .global, overrides: [.otherScope: .status(403), .ownScope: .status(403)], reason: globalWrite) {
                w, _ in
                Req(path: "/core/urlaction/", json: ["name": .string(w.unique("rbac-urlaction-")), "pattern": "https://example.com/"])
            },
            Case("PUT /core/urlaction/{pk}/", .global, overrides: [.otherScope: .status(403), .ownScope: .status(403)], reason: globalWrite) {
                w, _ in
                Req(path: "/core/urlaction/\(try await w.freshURLAction())/", json: ["desc": "changed"])
            },
            Case(
                "DELETE /core/urlaction/{pk}/", .global, overrides: [.otherScope: .status(403), .ownScope: .status(403)], reason: globalWrite
            ) { w, _ in
                Req(path: "/core/urlaction/\(try await w.freshURLAction())/")
            },
            Case("PATCH /core/urlaction/run/", .scoped, overrides: [.otherScope: .status(404)], reason: bodyTarget) { w, ask in
                Req(
                    path: "/core/urlaction/run/",
                    json: ["action": .init(try await w.freshURLAction()), "agent_id": .string(w.side(ask.side).agentID)])
            },
            Case("POST /core/urlaction/run/test/", .scoped, overrides: [.otherScope: .status(404)], reason: bodyTarget) { w, ask in
                // A loopback port nothing listens on: the test answers 200 with the connection error as its result.
                Req(
                    path: "/core/urlaction/run/test/",
                    json: [
                        "pattern": "http://127.0.0.1:9/{{agent.hostname}}", "rest_body": "{}", "rest_headers": "{}", "rest_method": "post",
                        "run_instance_type": "agent", "run_instance_id": .string(w.side(ask.side).agentID),
                    ])
            },
            Case("GET /", .anonymous(dashboardFiles)) { _, _ in Req(path: "/") },
            Case("GET /dashboard/{file}/", .anonymous(dashboardFiles)) { _, _ in Req(path: "/dashboard/app.js") },
            Case("GET /core/keystore/", .global) { _, _ in Req(path: "/core/keystore/") },
            Case("POST /core/keystore/", .global, overrides: [.otherScope: .status(403), .ownScope: .status(403)], reason: globalWrite) {
                w, _ in
                Req(path: "/core/keystore/", json: ["name": .string(w.unique("rbac_key_")), "value": "v"])
            },
            Case(
                "DELETE /core/keystore/{pk}/", .global, overrides: [.otherScope: .status(403), .ownScope: .status(403)], reason: globalWrite
            ) { w, _ in
                Req(path: "/core/keystore/\(try await w.freshKeystoreEntry())/")
            },
            Case("PUT /core/keystore/{pk}/", .global, overrides: [.otherScope: .status(403), .ownScope: .status(403)], reason: globalWrite)
            { w, _ in
                Req(path: "/core/keystore/\(w.keystore)/", json: ["value": "v2"])
            },
            Case("GET /core/plugins/", .global) { _, _ in Req(path: "/core/plugins/") },
            Case(
                "POST /core/plugins/reload/", .global, overrides: [.otherScope: .status(403), .ownScope: .status(403)], reason: globalWrite
            ) { _, _ in
                Req(path: "/core/plugins/reload/")
            },
            Case("GET /core/jobs/", .global) { _, _ in Req(path: "/core/jobs/") },
            Case("GET /core/jobs/{id}/runs/", .global) { w, ask in
                Req(path: "/core/jobs/scripting:task-\(w.side(ask.side).task)/runs/")
            },
            Case("GET /core/clearcache/", .global) { _, _ in Req(path: "/core/clearcache/") },
            Case("GET /core/customfields/", .global) { _, _ in Req(path: "/core/customfields/") },
            Case("PATCH /core/customfields/", .global) { _, _ in Req(path: "/core/customfields/", json: ["model": "agent"]) },
            Case("POST /core/customfields/", .global, overrides: [.otherScope: .status(403), .ownScope: .status(403)], reason: globalWrite)
            {
                w, _ in
                Req(path: "/core/customfields/", json: ["model": "agent", "name": .string(w.unique("rbac-field-"))])
            },
            Case("GET /core/customfields/{pk}/", .global) { w, _ in Req(path: "/core/customfields/\(try await w.freshCustomField())/") },
            Case(
                "PUT /core/customfields/{pk}/", .global, overrides: [.otherScope: .status(403), .ownScope: .status(403)],
                reason: globalWrite
            ) {
                w, _ in
                Req(path: "/core/customfields/\(try await w.freshCustomField())/", json: ["hide_in_ui": true])
            },
            Case(
                "DELETE /core/customfields/{pk}/", .global, overrides: [.otherScope: .status(403), .ownScope: .status(403)],
                reason: globalWrite
            ) { w, _ in Req(path: "/core/customfields/\(try await w.freshCustomField())/") },
            Case("GET /core/settings/", .global) { _, _ in Req(path: "/core/settings/") },
            Case("PUT /core/settings/", .global, overrides: [.otherScope: .status(403), .ownScope: .status(403)], reason: globalWrite) {
                _, _ in
                Req(path: "/core/settings/", json: [:])
            },
            Case("GET /core/health/", .anonymous("health checks of load balancers and monitors carry no credentials")) { _, _ in
                Req(path: "/core/health/")
            },
            Case("GET /core/status/", .anonymous("health checks of load balancers and monitors carry no credentials")) { _, _ in
                Req(path: "/core/status/")
            },
            Case(
                "POST /core/status/", .anonymous("Tactical RMM's monitoring endpoint: the monitoring token is in the body"),
                overrides: monitoringTokenOnly
            ) { _, _ in
                Req(path: "/core/status/", json: ["auth": "rbac"])
            },
            Case(
                "GET /core/v2/status/", .anonymous("Tactical RMM's monitoring endpoint: the monitoring token is a header"),
                overrides: monitoringTokenOnly
            ) { _, _ in
                Req(path: "/core/v2/status/")
            },
            Case("GET /core/version/", .global) { _, _ in Req(path: "/core/version/") },
            Case("GET /core/dashinfo/", .global) { _, _ in Req(path: "/core/dashinfo/") },
            Case("POST /logout/", .global, freshCallers: true) { _, _ in Req(path: "/logout/") },
            Case("POST /logoutall/", .global, freshCallers: true) { _, _ in Req(path: "/logoutall/") },
            Case("PATCH /logs/audit/", .list) { w, ask in
                // The scoped caller asks for B's agent by name (docs/compatibility.md §3.1, rule 6).
                Req(path: "/logs/audit/", json: ask.side == .b ? ["agentFilter": [.string(w.b.agentID)]] : [:])
            },
            Case("GET /logs/pendingactions/", .list) { _, _ in Req(path: "/logs/pendingactions/") },
            Case("DELETE /logs/pendingactions/{pk}/", .scoped) { w, ask in
                Req(path: "/logs/pendingactions/\(try await w.freshPendingAction(ask.side))/")
            },
            Case("GET /metrics/", .global) { _, _ in Req(path: "/metrics/") },
            Case("POST /v2/checkcreds/", .anonymous(anonymousLogin)) { w, _ in
                Req(path: "/v2/checkcreds/", json: ["username": .string(w.loginUser), "password": .string(RBACWorld.password)])
            },
            Case("POST /v2/login/", .anonymous(anonymousLogin)) { w, _ in
                Req(path: "/v2/login/", json: ["username": .string(w.loginUser), "password": .string(RBACWorld.password)])
            },
        ]
    }

    // MARK: the script library (shared by every client; B's script and snippet run on B through B's task)

    static var library: [Case] {
        [
            Case("GET /scripts/", .global) { _, _ in Req(path: "/scripts/") },
            Case("POST /scripts/", .global) { w, _ in
                Req(path: "/scripts/", json: ["name": .string(w.unique("rbac-new-script-")), "shell": "shell", "code": "true"])
            },
            Case("GET /scripts/export/", .global) { _, _ in Req(path: "/scripts/export/") },
            Case("POST /scripts/import/", .global, overrides: [.otherScope: .status(403), .ownScope: .status(403)], reason: libraryReach) {
                w, ask in
                // An import updates scripts by name: the scoped caller's file rewrites B's script.
                let name = ask.side == .b ? w.b.scriptName : w.unique("rbac-imported-")
                return Req(
                    path: "/scripts/import/",
                    json: [
                        "format": "garrison-scripts/1", "snippets": [],
                        "scripts": [["name": .string(name), "shell": "shell", "code": "echo imported"]],
                    ])
            },
            Case("GET /scripts/snippets/", .global) { _, _ in Req(path: "/scripts/snippets/") },
            Case("POST /scripts/snippets/", .global, overrides: [.otherScope: .status(403), .ownScope: .status(403)], reason: libraryReach)
            { w, _ in Req(path: "/scripts/snippets/", json: ["name": .string(w.unique("rbacnewsnip")), "shell": "shell", "code": "true"]) },
            Case(
                "DELETE /scripts/snippets/{pk}/", .global, overrides: [.otherScope: .status(403), .ownScope: .status(403)],
                reason: libraryReach
            ) { w, ask in
                Req(path: "/scripts/snippets/\(try await w.freshSnippet(ask.side))/")
            },
            Case("GET /scripts/snippets/{pk}/", .global) { w, ask in Req(path: "/scripts/snippets/\(w.side(ask.side).snippet)/") },
            Case(
                "PUT /scripts/snippets/{pk}/", .global, overrides: [.otherScope: .status(403), .ownScope: .status(403)],
                reason: libraryReach
            ) { w, ask in
                let o = w.side(ask.side)
                return Req(
                    path: "/scripts/snippets/\(o.snippet)/",
                    json: ["name": .string(o.snippetName), "shell": "shell", "code": "echo changed"])
            },
            Case("DELETE /scripts/{pk}/", .global, overrides: [.otherScope: .status(403), .ownScope: .status(403)], reason: libraryReach) {
                w, ask in
                Req(path: "/scripts/\(try await w.freshScript(ask.side))/")
            },
            Case("GET /scripts/{pk}/", .global) { w, ask in Req(path: "/scripts/\(w.side(ask.side).script)/") },
            Case("PUT /scripts/{pk}/", .global, overrides: [.otherScope: .status(403), .ownScope: .status(403)], reason: libraryReach) {
                w, ask in
                let o = w.side(ask.side)
                return Req(
                    path: "/scripts/\(o.script)/",
                    json: ["name": .string(o.scriptName), "shell": "shell", "code": .string("{{\(o.snippetName)}}")])
            },
            Case("GET /scripts/{pk}/download/", .global) { w, ask in Req(path: "/scripts/\(w.side(ask.side).script)/download/") },
            // <pk> is an agent here (the segment is shared with /scripts/<pk>/).
            Case("POST /scripts/{pk}/test/", .scoped) { w, ask in
                Req(path: "/scripts/\(w.side(ask.side).agentID)/test/", json: ["code": "true", "shell": "shell", "timeout": 5])
            },
        ]
    }

    // MARK: automated tasks

    /// Windows services (Plugins/AgentActions), on the world's agent stand-in.
    static var services: [Case] {
        return [
            Case("GET /services/{agent_id}/", .scoped) { w, ask in Req(path: servicePath(w, ask)) },
            Case("GET /services/{agent_id}/{svcname}/", .scoped) { w, ask in Req(path: servicePath(w, ask, "Spooler/")) },
            Case(
                "POST /services/{agent_id}/{svcname}/", .scoped, overrides: [.ownScope: .status(400), .superuser: .status(400)],
                reason: "the world's agent is a Linux one, for which Tactical RMM answers 400 \"Please use 'Recover Connection' instead.\""
            ) { w, ask in Req(path: servicePath(w, ask, "Spooler/"), json: ["sv_action": "start"]) },
            Case("PUT /services/{agent_id}/{svcname}/", .scoped) { w, ask in
                Req(path: servicePath(w, ask, "Spooler/"), json: ["startType": "manual"])
            },
        ]
    }

    static func servicePath(_ w: RBACWorld, _ ask: Ask, _ rest: String = "") -> String { "/services/\(w.side(ask.side).agentID)/\(rest)" }

    static var tasks: [Case] {
        [
            Case("GET /tasks/", .list) { _, _ in Req(path: "/tasks/") },
            Case("POST /tasks/", .scoped, overrides: [.otherScope: .refused], reason: bodyTarget) { w, ask in
                Req(
                    path: "/tasks/",
                    json: RBACWorld.taskBody(agent: w.side(ask.side).agentID, name: w.unique("rbac-new-task-"), script: w.a.script))
            },
            Case("DELETE /tasks/{pk}/", .scoped) { w, ask in Req(path: "/tasks/\(try await w.freshTask(ask.side))/") },
            Case("GET /tasks/{pk}/", .scoped) { w, ask in Req(path: "/tasks/\(w.side(ask.side).task)/") },
            Case("PUT /tasks/{pk}/", .scoped) { w, ask in
                let o = w.side(ask.side)
                return Req(path: "/tasks/\(o.task)/", json: RBACWorld.taskBody(agent: o.agentID, name: o.taskName, script: o.script))
            },
            Case("POST /tasks/{pk}/run/", .scoped) { w, ask in Req(path: "/tasks/\(w.side(ask.side).task)/run/") },
        ]
    }
}
