import Foundation
import HTTPTypes
import NIOConcurrencyHelpers
import TwoFactorCore
@testable import GarrisonHost

/// The objects the RBAC matrix calls routes on: two clients, A and B, each with a site, an
/// enrolled agent and one object of every kind a route names; the callers; and factories
/// for fresh objects where a call destroys the one it names (a DELETE).
final class RBACWorld: Sendable {
    /// One client's objects. Names carry the side and a random tag, so B's can be searched
    /// for in an answer without matching A's.
    struct Objects: Sendable {
        var client = 0, site = 0
        var clientName = "", siteName = ""
        var agentID = "", agentToken = "", hostname = ""
        var note = 0, noteText = ""
        var check = 0, checkName = "", checkResult = 0
        var policy = 0, policyCheck = 0, policyCheckResult = 0
        var snippet = 0, snippetName = ""
        var script = 0, scriptName = ""
        var task = 0, taskName = ""
        var deployment = 0, deploymentUID = ""
        var pendingAction = 0, chocoAction = 0, history = 0
        var bulkRun = 0
        var role = 0, user = 0, userName = ""
        var apiKey = 0
        var alert = 0
        var template = 0
        var winUpdate = 0, winUpdateGUID = "", patchPolicy = 0
    }

    static let password = "rbac-password-1"

    let host: TestHost
    /// The first-run admin: sets up fixtures only, never a caller of the matrix.
    let admin: String
    let tag = Crypto.randomHex(bytes: 3)
    let a: Objects
    let b: Objects
    let superToken: String
    let scopedToken: String
    let scopedUserID: Int
    let scopedRole: Int
    let keystore: Int
    let loginUser: String
    let commandAgent: CommandAgent

    private let counter = NIOLockedValueBox(0)
    private let tokens = NIOLockedValueBox<[String: (String, Int)]>([:])
    private let scopedClients: NIOLockedValueBox<[Int]>

    func side(_ side: RBAC.Side) -> Objects { side == .a ? a : b }

    /// Strings that name client B's objects: none may appear in an answer to a caller
    /// scoped to client A.
    var markersB: [String] { [b.clientName, b.siteName, b.agentID, b.hostname, b.noteText, b.checkName, b.taskName, b.deploymentUID] }

    /// A name no other call has used.
    func unique(_ prefix: String) -> String {
        let n = counter.withLockedValue {
            $0 += 1; return $0
        }
        return "\(prefix)\(tag)x\(n)"
    }

    // MARK: building

    static func make(_ host: TestHost, bus url: String) async throws -> RBACWorld {
        let admin = try await host.adminToken()
        let tag = Crypto.randomHex(bytes: 3)
        var sides: [Objects] = []
        for side in ["A", "B"] { sides.append(try await clientWithAgent(host, admin, side: side, tag: tag)) }
        var (a, b) = (sides[0], sides[1])

        let superName = "rbac-super-\(tag)"
        try await ok(
            host, .post, "/accounts/users/", admin, ["username": .string(superName), "password": .string(password), "is_superuser": true])
        let superToken = try await host.login(superName, password)
        let scopedName = "rbac-scoped-\(tag)"
        let scopedToken = try await host.user(scopedName, permissions: Permissions.all, clients: [a.client], admin: admin)
        let scoped = try await host.server.storage.pool.query("SELECT id, role_id FROM users WHERE username = $1", [scopedName]).first!
        let loginUser = "rbac-login-\(tag)"
        try await ok(host, .post, "/accounts/users/", admin, ["username": .string(loginUser), "password": .string(password)])

        for side in ["A", "B"] {
            var objects = side == "A" ? a : b
            try await fillObjects(host, admin, &objects, side: side, tag: tag, scopedToken: side == "A" ? scopedToken : nil)
            if side == "A" { a = objects } else { b = objects }
        }
        try await ok(host, .post, "/core/keystore/", admin, ["name": .string("rbac_key_\(tag)"), "value": "v"])
        let keystore = try await host.server.storage.pool.query("SELECT id FROM global_keystore WHERE name = $1", ["rbac_key_\(tag)"])
            .first!.int("id")
        // The MeshCentral bridge set up, and both agents with a mesh node id, so its routes answer.
        try await ok(
            host, .put, "/core/settings/", admin,
            [
                "mesh_site": "https://mesh.example.com", "mesh_username": "meshapi",
                "mesh_token": .string(String(repeating: "0f", count: 80)),
            ])
        try await host.server.storage.pool.query(
            "UPDATE agents SET mesh_node_id = $1 WHERE agent_id IN ($2, $3)",
            [String(repeating: "AB", count: 48), a.agentID, b.agentID])
        // Agent A answers commands (cmd, reboot, processes...); B stays offline: a call that
        // reaches it is already a mismatch.
        let agent = try await CommandAgent.start(url: url, agentID: a.agentID, token: a.agentToken)
        return RBACWorld(
            host: host, admin: admin, a: a, b: b, superToken: superToken, scopedToken: scopedToken, scopedUserID: scoped.int("id"),
            scopedRole: scoped.int("role_id"), keystore: keystore, loginUser: loginUser, commandAgent: agent)
    }

    private init(
        host: TestHost, admin: String, a: Objects, b: Objects, superToken: String, scopedToken: String, scopedUserID: Int, scopedRole: Int,
        keystore: Int, loginUser: String, commandAgent: CommandAgent
    ) {
        self.host = host
        self.admin = admin
        self.a = a
        self.b = b
        self.superToken = superToken
        self.scopedToken = scopedToken
        self.scopedUserID = scopedUserID
        self.scopedRole = scopedRole
        self.keystore = keystore
        self.loginUser = loginUser
        self.commandAgent = commandAgent
        self.scopedClients = NIOLockedValueBox([a.client])
    }

    /// A request that must succeed (fixture setup); its answer.
    @discardableResult
    static func ok(
        _ host: TestHost, _ method: HTTPRequest.Method, _ path: String, _ token: String, _ json: JSON? = nil,
        as credential: TestHost.Credential? = nil
    ) async throws -> TestHost.Reply {
        let reply = try await host.request(method, path, as: credential ?? .token(token), json: json)
        guard (200..<300).contains(reply.status) else {
            throw TestFailure("fixture \(method) \(path): \(reply.status) \(reply.text.prefix(300))")
        }
        return reply
    }

    @discardableResult
    func ok(_ method: HTTPRequest.Method, _ path: String, _ json: JSON? = nil) async throws -> TestHost.Reply {
        try await Self.ok(host, method, path, admin, json)
    }

    func query(_ sql: String, _ params: [String?] = []) async throws -> PGRow {
        guard let row = try await host.server.storage.pool.query(sql, params).first else {
            throw TestFailure("fixture query found nothing: \(sql)")
        }
        return row
    }

    static func clientWithAgent(_ host: TestHost, _ admin: String, side: String, tag: String) async throws -> Objects {
        var o = Objects()
        o.clientName = "rbac-client-\(side)-\(tag)"
        o.siteName = "rbac-site-\(side)-\(tag)"
        try await ok(host, .post, "/clients/", admin, ["client": ["name": .string(o.clientName)], "site": ["name": .string(o.siteName)]])
        let row = try await host.server.storage.pool.query(
            "SELECT c.id AS client, s.id AS site FROM clients c JOIN sites s ON s.client_id = c.id WHERE c.name = $1", [o.clientName]
        ).first!
        (o.client, o.site) = (row.int("client"), row.int("site"))
        o.hostname = "rbac-host-\(side)-\(tag)"
        (o.agentID, o.agentToken) = try await enroll(host, admin, site: o.site, hostname: o.hostname)
        return o
    }

    static func enroll(_ host: TestHost, _ admin: String, site: Int, hostname: String) async throws -> (String, String) {
        let agentID = BusTests.agentID()
        let reply = try await ok(host, .post, "/api/v3/newagent/", admin, enrollBody(agentID, site: site, hostname: hostname))
        guard let token = reply.json["token"]?.stringValue else { throw TestFailure("enroll: \(reply.text)") }
        return (agentID, token)
    }

    static func enrollBody(_ agentID: String, site: Int, hostname: String) -> JSON {
        [
            "agent_id": .string(agentID), "description": "", "goarch": "amd64", "hostname": .string(hostname), "mesh_node_id": "",
            "monitoring_type": "server", "plat": "linux", "site": .init(site),
        ]
    }

    static func pingCheck(_ name: String) -> [String: JSON] {
        ["check_type": "ping", "name": .string(name), "ip": "127.0.0.1"]
    }

    static func taskBody(agent: String, name: String, script: Int) -> JSON {
        [
            "agent_id": .string(agent), "name": .string(name), "task_type": "runonce", "run_time_date": "2099-01-01T00:00:00Z",
            "actions": [["type": "script", "script": .init(script), "timeout": 30]],
        ]
    }

    /// Everything of one side that hangs off its client and agent.
    static func fillObjects(_ host: TestHost, _ admin: String, _ o: inout Objects, side: String, tag: String, scopedToken: String?)
        async throws
    {
        let pool = host.server.storage.pool
        let agent = TestHost.Credential.token(o.agentToken)
        o.noteText = "rbac-note-\(side)-\(tag)"
        try await ok(host, .post, "/agents/notes/", admin, ["agent_id": .string(o.agentID), "note": .string(o.noteText)])
        o.note = try await pool.query("SELECT max(id) AS id FROM agent_notes WHERE agent_id = $1", [o.agentID]).first?.int("id") ?? 0
        // An installed-software inventory naming the machine, for /software/.
        try await ok(
            host, .post, "/api/v3/software/", "", ["agent_id": .string(o.agentID), "software": [["name": .string("rbac-app-\(o.hostname)")]]],
            as: agent)
        // A script run in the agent's history, for /agents/scripthistory/.
        try await pool.query(
            "INSERT INTO agent_history (agent_id, type, script_name, username, status) VALUES ($1, 'script_run', 'rbac-script', 'admin', 'done')",
            [o.agentID])

        // A policy on the client, with a check; an agent check; a result of each from the agent.
        let policyName = "rbac-policy-\(side)-\(tag)"
        try await ok(host, .post, "/automation/policies/", admin, ["name": .string(policyName)])
        o.policy = try await pool.query("SELECT id FROM policies WHERE name = $1", [policyName]).first!.int("id")
        try await ok(host, .put, "/clients/\(o.client)/", admin, ["client": ["server_policy": .init(o.policy)]])
        try await ok(host, .post, "/automation/policies/\(o.policy)/checks/", admin, .object(pingCheck("rbac-pcheck-\(side)-\(tag)")))
        o.policyCheck = try await pool.query("SELECT max(id) AS id FROM plugin_check.checks WHERE policy_id = $1", [String(o.policy)])
            .first!.int("id")
        o.checkName = "rbac-check-\(side)-\(tag)"
        var check = pingCheck(o.checkName)
        check["agent"] = .string(o.agentID)
        try await ok(host, .post, "/checks/", admin, .object(check))
        o.check = try await pool.query("SELECT max(id) AS id FROM plugin_check.checks WHERE agent_id = $1", [o.agentID]).first!.int("id")
        for id in [o.check, o.policyCheck] {
            try await ok(
                host, .patch, "/api/v3/checkrunner/", "",
                ["id": .init(id), "agent_id": .string(o.agentID), "status": "passing", "output": "ok"], as: agent)
        }
        o.checkResult = try await pool.query(
            "SELECT id FROM plugin_check.results WHERE agent_id = $1 AND check_id = $2", [o.agentID, String(o.check)]
        ).first!.int("id")
        o.policyCheckResult = try await pool.query(
            "SELECT id FROM plugin_check.results WHERE agent_id = $1 AND check_id = $2", [o.agentID, String(o.policyCheck)]
        ).first!.int("id")

        // The script library: a snippet inside a script that a task of this agent runs.
        o.snippetName = "rbacsnip\(side)\(tag)"
        o.snippet =
            try await ok(host, .post, "/scripts/snippets/", admin, ["name": .string(o.snippetName), "shell": "shell", "code": "echo hi"])
            .json["id"]?.intValue ?? 0
        o.scriptName = "rbac-script-\(side)-\(tag)"
        o.script =
            try await ok(
                host, .post, "/scripts/", admin, ["name": .string(o.scriptName), "shell": "shell", "code": .string("{{\(o.snippetName)}}")]
            ).json["id"]?.intValue ?? 0
        o.taskName = "rbac-task-\(side)-\(tag)"
        o.task =
            try await ok(host, .post, "/tasks/", admin, taskBody(agent: o.agentID, name: o.taskName, script: o.script)).json["id"]?.intValue
            ?? 0

        // A Windows update the agent reported, and a patch policy on the side's policy.
        o.winUpdateGUID = "rbac-update-\(side)-\(tag)"
        try await ok(
            host, .post, "/api/v3/winupdates/", "",
            ["agent_id": .string(o.agentID), "wua_updates": [["guid": .string(o.winUpdateGUID), "kb_article_ids": ["5000001"], "title": "rbac"]]],
            as: agent)
        o.winUpdate = try await pool.query("SELECT id FROM plugin_winupdate.updates WHERE agent_id = $1", [o.agentID]).first!.int("id")
        try await ok(host, .post, "/automation/patchpolicy/", admin, ["policy": .init(o.policy)])
        o.patchPolicy = try await pool.query("SELECT id FROM plugin_winupdate.policies WHERE policy_id = $1", [String(o.policy)])
            .first!.int("id")

        let deployment = try await ok(
            host, .post, "/clients/deployments/", admin, ["site": .init(o.site), "expires": "2099-01-01T00:00", "install_flags": [:]])
        o.deployment = deployment.json["id"]?.intValue ?? 0
        o.deploymentUID = deployment.json["uid"]?.stringValue ?? ""
        o.pendingAction =
            try await ok(host, .patch, "/agents/\(o.agentID)/reboot/", admin, ["datetime": "2099-01-01T00:00"]).json["pending_action"]?
            .intValue ?? 0
        o.history = try await pool.query(
            "INSERT INTO agent_history (agent_id, type, command) VALUES ($1, 'cmd_run', 'rbac') RETURNING id", [o.agentID]
        ).first!.int("id")
        o.chocoAction = try await pool.query(
            "INSERT INTO pending_actions (agent_id, action_type, command) VALUES ($1, 'chocoinstall', '{}') RETURNING id", [o.agentID]
        ).first!.int("id")

        // An operator of this client, with an API key. The scoped caller starts A's bulk run
        // (a scoped role reads only the runs it started); the admin starts B's.
        o.role =
            try await ok(
                host, .post, "/accounts/roles/", admin,
                ["name": .string("rbac-role-\(side)-\(tag)"), "can_list_agents": true, "can_view_clients": [.init(o.client)]]
            ).json["id"]?.intValue ?? 0
        o.userName = "rbac-user-\(side)-\(tag)"
        o.user =
            try await ok(
                host, .post, "/accounts/users/", admin,
                ["username": .string(o.userName), "password": .string(password), "role": .init(o.role)]
            ).json["id"]?.intValue ?? 0
        o.apiKey =
            try await ok(host, .post, "/accounts/apikeys/", admin, ["name": .string("rbac-key-\(side)-\(tag)"), "user": .init(o.user)])
            .json["id"]?.intValue ?? 0
        o.alert = try await insertAlert(host, agentID: o.agentID)
        o.template = try await Self.makeTemplate(host, admin, name: "rbac-template-\(side)-\(tag)", client: o.client)
        let bulk: JSON = [
            "mode": "command", "target": "agents", "agents": [.string(o.agentID)], "cmd": "uptime", "shell": "/bin/bash", "timeout": 5,
        ]
        o.bulkRun = try await ok(host, .post, "/agents/actions/bulk/", scopedToken ?? admin, bulk).json["bulk_id"]?.intValue ?? 0
    }

    // MARK: callers

    /// A user whose role holds every permission but `permission` (no scope), made once.
    func noPermission(_ permission: String) async throws -> (String, Int) {
        try await cachedUser("without-\(permission)") { name in
            try await self.host.user(name, permissions: Permissions.all.filter { $0 != permission }, admin: self.admin)
        }
    }

    /// A user whose role holds no permission at all.
    func bare() async throws -> (String, Int) {
        try await cachedUser("bare") { name in try await self.host.user(name, permissions: [], admin: self.admin) }
    }

    private func cachedUser(_ key: String, _ make: (String) async throws -> String) async throws -> (String, Int) {
        if let hit = tokens.withLockedValue({ $0[key] }) { return hit }
        let name = "rbac-\(key)-\(tag)".replacingOccurrences(of: "_", with: "-")
        let token = try await make(name)
        let id = try await query("SELECT id FROM users WHERE username = $1", [name]).int("id")
        tokens.withLockedValue { $0[key] = (token, id) }
        return (token, id)
    }

    /// New users for one call of a route that changes the caller's own account.
    func freshCaller(_ who: RBAC.Who) async throws -> (String, Int)? {
        let name = unique("rbac-fresh-")
        let token: String
        switch who {
        case .anonymous: return nil
        case .noPermission: token = try await host.user(name, permissions: [], admin: admin)
        case .otherScope, .ownScope: token = try await host.user(name, permissions: Permissions.all, clients: [a.client], admin: admin)
        case .superuser:
            try await ok(.post, "/accounts/users/", ["username": .string(name), "password": .string(Self.password), "is_superuser": true])
            token = try await host.login(name, Self.password)
        }
        return (token, try await query("SELECT id FROM users WHERE username = $1", [name]).int("id"))
    }

    // MARK: fresh objects (for calls that delete or use up the object they name)

    func freshAgent(_ side: RBAC.Side) async throws -> String {
        try await Self.enroll(host, admin, site: self.side(side).site, hostname: unique("rbac-fresh-host-")).0
    }

    /// A new client; one made for A joins the scoped caller's role, as A itself is.
    func freshClient(_ side: RBAC.Side) async throws -> Int {
        let name = unique("rbac-fresh-client-")
        try await ok(.post, "/clients/", ["client": ["name": .string(name)], "site": ["name": "HQ"]])
        let id = try await query("SELECT id FROM clients WHERE name = $1", [name]).int("id")
        if side == .a {
            let clients = scopedClients.withLockedValue {
                $0.append(id); return $0
            }
            try await ok(.put, "/accounts/roles/\(scopedRole)/", ["can_view_clients": .array(clients.map { .init($0) })])
        }
        return id
    }

    func freshSite(_ side: RBAC.Side) async throws -> Int {
        let name = unique("rbac-fresh-site-")
        try await ok(.post, "/clients/sites/", ["site": ["client": .init(self.side(side).client), "name": .string(name)]])
        return try await query("SELECT id FROM sites WHERE name = $1", [name]).int("id")
    }

    func freshCustomField() async throws -> Int {
        let name = unique("rbac-field-")
        try await ok(.post, "/core/customfields/", ["model": "agent", "name": .string(name)])
        return try await query("SELECT id FROM custom_field_definitions WHERE name = $1", [name]).int("id")
    }

    func freshNote(_ side: RBAC.Side) async throws -> Int {
        let agentID = self.side(side).agentID
        try await ok(.post, "/agents/notes/", ["agent_id": .string(agentID), "note": "fresh"])
        return try await query("SELECT max(id) AS id FROM agent_notes WHERE agent_id = $1", [agentID]).int("id")
    }

    /// An availability alert of the agent, written straight into the alerts plugin's table
    /// (raising one through events is PluginsAlertsTests' business).
    static func insertAlert(_ host: TestHost, agentID: String) async throws -> Int {
        try await host.server.storage.pool.query(
            """
            INSERT INTO plugin_alert.alerts (alert_type, agent_pk, agent_id, hostname, client_id, client_name, site_id, site_name, severity, message)
            SELECT 'availability', a.id, a.agent_id, a.hostname, a.client_id, c.name, a.site_id, s.name, 'error', a.hostname || ' is overdue.'
            FROM agents a JOIN clients c ON c.id = a.client_id JOIN sites s ON s.id = a.site_id WHERE a.agent_id = $1 RETURNING id
            """, [agentID]
        ).first!.int("id")
    }

    /// An alert template assigned to `client` (or to `site`), so it reaches that client only.
    static func makeTemplate(_ host: TestHost, _ admin: String, name: String, client: Int, site: Int? = nil) async throws -> Int {
        try await ok(host, .post, "/alerts/templates/", admin, ["name": .string(name), "check_always_email": true])
        let id = try await host.server.storage.pool.query("SELECT id FROM plugin_alert.templates WHERE name = $1", [name]).first!.int("id")
        let target: JSON = site.map { ["site": .init($0), "alert_template": .init(id)] } ?? ["client": .init(client), "alert_template": .init(id)]
        try await ok(host, .put, "/alerts/assignments/", admin, target)
        return id
    }

    /// On a new site of `side` (a client has one template: the side's own stays assigned).
    func freshTemplate(_ side: RBAC.Side) async throws -> Int {
        try await Self.makeTemplate(
            host, admin, name: unique("rbac-fresh-template-"), client: self.side(side).client, site: try await freshSite(side))
    }

    /// A new URL action (no client of its own), answered by id.
    func freshURLAction() async throws -> Int {
        let name = unique("rbac-urlaction-")
        try await ok(.post, "/core/urlaction/", ["name": .string(name), "pattern": "https://example.com/{{agent.hostname}}"])
        return try await query("SELECT id FROM plugin_urlaction.url_actions WHERE name = $1", [name]).int("id")
    }

    func freshAlert(_ side: RBAC.Side) async throws -> Int { try await Self.insertAlert(host, agentID: self.side(side).agentID) }

    func freshCheck(_ side: RBAC.Side) async throws -> Int {
        let agentID = self.side(side).agentID
        var body = Self.pingCheck(unique("rbac-fresh-check-"))
        body["agent"] = .string(agentID)
        try await ok(.post, "/checks/", .object(body))
        return try await query("SELECT max(id) AS id FROM plugin_check.checks WHERE agent_id = $1", [agentID]).int("id")
    }

    /// A policy on a new site of `side`, so it reaches that client only.
    func freshPolicy(_ side: RBAC.Side) async throws -> Int {
        let name = unique("rbac-fresh-policy-")
        try await ok(.post, "/automation/policies/", ["name": .string(name)])
        let id = try await query("SELECT id FROM policies WHERE name = $1", [name]).int("id")
        try await ok(.put, "/clients/sites/\(try await freshSite(side))/", ["site": ["server_policy": .init(id)]])
        return id
    }

    /// A patch policy on a fresh policy that reaches `side`'s client.
    func freshPatchPolicy(_ side: RBAC.Side) async throws -> Int {
        let policy = try await freshPolicy(side)
        try await ok(.post, "/automation/patchpolicy/", ["policy": .init(policy)])
        return try await query("SELECT id FROM plugin_winupdate.policies WHERE policy_id = $1", [String(policy)]).int("id")
    }

    /// A script; one for B is run by a new task of agent B (it reaches B's agents).
    func freshScript(_ side: RBAC.Side, code: String = "true") async throws -> Int {
        let id =
            try await ok(.post, "/scripts/", ["name": .string(unique("rbac-fresh-script-")), "shell": "shell", "code": .string(code)]).json[
                "id"]?.intValue ?? 0
        if side == .b { _ = try await freshTask(.b, script: id) }
        return id
    }

    /// A snippet; one for B is inside a script that a task of agent B runs.
    func freshSnippet(_ side: RBAC.Side) async throws -> Int {
        let name = unique("rbacfreshsnip")
        let id =
            try await ok(.post, "/scripts/snippets/", ["name": .string(name), "shell": "shell", "code": "true"]).json["id"]?.intValue ?? 0
        if side == .b { _ = try await freshScript(.b, code: "{{\(name)}}") }
        return id
    }

    func freshTask(_ side: RBAC.Side, script: Int? = nil) async throws -> Int {
        let o = self.side(side)
        return try await ok(.post, "/tasks/", Self.taskBody(agent: o.agentID, name: unique("rbac-fresh-task-"), script: script ?? o.script))
            .json["id"]?.intValue ?? 0
    }

    func freshDeployment(_ side: RBAC.Side) async throws -> Int {
        try await ok(
            .post, "/clients/deployments/", ["site": .init(self.side(side).site), "expires": "2099-01-01T00:00", "install_flags": [:]]
        ).json["id"]?.intValue ?? 0
    }

    func freshPendingAction(_ side: RBAC.Side) async throws -> Int {
        try await ok(.patch, "/agents/\(self.side(side).agentID)/reboot/", ["datetime": "2099-01-01T00:00"]).json["pending_action"]?
            .intValue ?? 0
    }

    /// A role scoped to `side`'s client; one for B is held by an operator of B.
    func freshRole(_ side: RBAC.Side) async throws -> Int {
        let id =
            try await ok(
                .post, "/accounts/roles/",
                [
                    "name": .string(unique("rbac-fresh-role-")), "can_list_agents": true,
                    "can_view_clients": [.init(self.side(side).client)],
                ]
            ).json["id"]?.intValue ?? 0
        if side == .b { _ = try await freshUser(.b, role: id) }
        return id
    }

    /// An operator of `side`'s client (its role is scoped there).
    func freshUser(_ side: RBAC.Side, role: Int? = nil) async throws -> Int {
        try await ok(
            .post, "/accounts/users/",
            [
                "username": .string(unique("rbac-fresh-user-")), "password": .string(Self.password),
                "role": .init(role ?? self.side(side).role),
            ]
        ).json["id"]?.intValue ?? 0
    }

    func freshAPIKey(_ side: RBAC.Side) async throws -> Int {
        try await ok(.post, "/accounts/apikeys/", ["name": .string(unique("rbac-fresh-key-")), "user": .init(self.side(side).user)]).json[
            "id"]?.intValue ?? 0
    }

    /// A login session of `side`'s operator: its auth_tokens id.
    func freshSession(_ side: RBAC.Side) async throws -> Int {
        let token = try await host.login(self.side(side).userName, Self.password)
        return try await query("SELECT id FROM auth_tokens WHERE digest = $1", [Crypto.sha256Hex(token)]).int("id")
    }

    func freshKeystoreEntry() async throws -> Int {
        let name = unique("rbac_fresh_key_")
        try await ok(.post, "/core/keystore/", ["name": .string(name), "value": "v"])
        return try await query("SELECT id FROM global_keystore WHERE name = $1", [name]).int("id")
    }

    // MARK: two-factor steps of the caller's own account

    /// Starts TOTP enrollment as `token`; the secret.
    func setupTOTP(_ token: String) async throws -> [UInt8] {
        let reply = try await Self.ok(host, .post, "/accounts/users/setup_totp/", token)
        guard let secret = reply.json["secret"]?.stringValue.flatMap(Base32.decode) else { throw TestFailure("setup_totp: \(reply.text)") }
        return secret
    }

    /// The code `offset` steps from now (away from a step boundary, so host and test agree).
    func code(_ secret: [UInt8], _ offset: Int64) async throws -> String {
        try await PluginsTwoFactorTests.awayFromStepBoundary()
        return PluginsTwoFactorTests.code(secret, offset)
    }

    func stop() { commandAgent.stop() }
}
