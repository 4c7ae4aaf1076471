import Foundation
import Testing
@testable import GarrisonHost

/// The escalation rules of docs/compatibility.md §3.1 for the host's own account, client and audit routes: each
/// test is an attack that worked before, and must now be refused with a 403 or 404 that names
/// what is missing, leave nothing behind, and be audited as denied.
@Suite struct EscalationTests {
    /// A user named `name` with `permissions` (optionally scoped); returns (token, user id, role id).
    static func member(_ host: TestHost, _ name: String, _ permissions: [String], clients: [Int] = [], sites: [Int] = [], admin: String)
        async throws -> (String, Int, Int)
    {
        let token = try await host.user(name, permissions: permissions, clients: clients, sites: sites, admin: admin)
        let row = try await host.server.storage.pool.query("SELECT id, role_id FROM users WHERE username = $1", [name]).first!
        return (token, row.int("id"), row.int("role_id"))
    }

    static func count(_ host: TestHost, _ sql: String, _ params: [String?] = []) async throws -> Int {
        try await host.server.storage.pool.query(sql, params).first!.int("n")
    }

    static func adminID(_ host: TestHost) async throws -> Int {
        try await host.server.storage.pool.query("SELECT id FROM users WHERE username = 'admin'").first!.int("id")
    }

    @Test func anAPIKeyIsForTheCallerOnly_unlessASuperuserMakesIt() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (acme, _) = try await host.client("Acme", admin: admin)
            let (token, me, _) = try await Self.member(
                host, "keyman", ["can_manage_api_keys", "can_list_api_keys"], clients: [acme], admin: admin)
            let superID = try await Self.adminID(host)

            let refused = try await host.request(
                .post, "/accounts/apikeys/", as: .token(token), json: ["name": "x", "user": .init(superID)])
            #expect(refused.status == 403)
            #expect(refused.json["detail"]?.stringValue?.contains("only for yourself") == true)
            #expect(try await Self.count(host, "SELECT count(*) AS n FROM api_keys") == 0)
            #expect(try await Self.count(host, "SELECT count(*) AS n FROM audit_log WHERE action = 'denied' AND username = 'keyman'") == 1)

            // Without "user", and with its own id, the key is the caller's.
            let own = try await host.request(.post, "/accounts/apikeys/", as: .token(token), json: ["name": "mine"])
            #expect(own.status == 200)
            #expect(own.json["user"]?.intValue == me)
            #expect(
                try await host.request(.post, "/accounts/apikeys/", as: .token(token), json: ["name": "mine2", "user": .init(me)]).status
                    == 200)

            // A superuser may still make one for somebody else.
            let forOther = try await host.request(
                .post, "/accounts/apikeys/", as: .token(admin), json: ["name": "for-keyman", "user": .init(me)])
            #expect(forOther.status == 200)
            // The superuser's own key cannot be edited or deleted by the key manager.
            let adminKey = try await host.request(.post, "/accounts/apikeys/", as: .token(admin), json: ["name": "admins"])
            let adminKeyID = try #require(adminKey.json["id"]?.intValue)
            #expect(
                try await host.request(
                    .put, "/accounts/apikeys/\(adminKeyID)/", as: .token(token), json: ["expiration": "2099-01-01T00:00:00Z"]
                ).status == 403)
            #expect(try await host.request(.delete, "/accounts/apikeys/\(adminKeyID)/", as: .token(token)).status == 403)
        }
    }

    @Test func manageAccounts_cannotTouchASuperuserOrChangeItsOwnRole() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (token, me, myRole) = try await Self.member(host, "accounts", ["can_manage_accounts", "can_list_accounts"], admin: admin)
            let superID = try await Self.adminID(host)
            let before = try await host.server.storage.pool.query(
                "SELECT password_hash, is_active FROM users WHERE id = $1", [String(superID)]
            ).first!

            let reset = try await host.request(
                .post, "/accounts/users/reset/", as: .token(token), json: ["id": .init(superID), "password": "taken-over-1"])
            #expect(reset.status == 403)
            #expect(reset.json["detail"]?.stringValue?.contains("superuser") == true)
            #expect(
                try await host.request(.put, "/accounts/\(superID)/users/", as: .token(token), json: ["is_active": false]).status == 403)
            #expect(try await host.request(.delete, "/accounts/\(superID)/users/", as: .token(token)).status == 403)
            let after = try await host.server.storage.pool.query(
                "SELECT password_hash, is_active FROM users WHERE id = $1", [String(superID)]
            ).first!
            #expect(after.string("password_hash") == before.string("password_hash"))
            #expect(after.bool("is_active"))
            // The superuser can still sign in with the first-run password.
            _ = try await host.adminToken()

            // Its own role: neither another role nor a superuser flag.
            let roles = try await host.request(
                .post, "/accounts/roles/", as: .token(admin),
                json: ["name": "everything", "can_manage_roles": true, "can_manage_accounts": true, "can_run_scripts": true])
            let bigger = try #require(roles.json["id"]?.intValue)
            let ownRole = try await host.request(.put, "/accounts/\(me)/users/", as: .token(token), json: ["role": .init(bigger)])
            #expect(ownRole.status == 403)
            #expect(ownRole.json["detail"]?.stringValue?.contains("own role") == true)
            #expect(try await host.request(.put, "/accounts/\(me)/users/", as: .token(token), json: ["is_superuser": true]).status == 403)
            #expect(
                try await host.server.storage.pool.query("SELECT role_id, is_superuser FROM users WHERE id = $1", [String(me)]).first!.int(
                    "role_id") == myRole)

            // Nor may it give another user a role with permissions it does not hold.
            let other = try await host.request(
                .post, "/accounts/users/", as: .token(token),
                json: ["username": "newbie", "password": "password-newbie", "role": .init(bigger)])
            #expect(other.status == 403)
            #expect(other.json["detail"]?.stringValue?.contains("can_manage_roles") == true)
            #expect(try await Self.count(host, "SELECT count(*) AS n FROM users WHERE username = 'newbie'") == 0)
            // A role within its own rights is fine.
            let modest = try await host.request(
                .post, "/accounts/roles/", as: .token(admin), json: ["name": "modest", "can_list_accounts": true])
            #expect(
                try await host.request(
                    .post, "/accounts/users/", as: .token(token),
                    json: ["username": "newbie", "password": "password-newbie", "role": modest.json["id"] ?? .null]
                ).status == 200)
            // And a user holding more than the caller cannot be taken over by password.
            let (_, strongID, _) = try await Self.member(host, "strong", ["can_manage_roles", "can_run_scripts"], admin: admin)
            #expect(
                try await host.request(
                    .post, "/accounts/users/reset/", as: .token(token), json: ["id": .init(strongID), "password": "taken-over-2"]
                ).status == 403)
            #expect(
                try await Self.count(host, "SELECT count(*) AS n FROM audit_log WHERE action = 'denied' AND username = 'accounts'") >= 5)
        }
    }

    @Test func manageRoles_cannotEditItsOwnRoleOrGrantBeyondItself() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (acme, _) = try await host.client("Acme", admin: admin)
            let (globex, _) = try await host.client("Globex", admin: admin)
            let (token, _, myRole) = try await Self.member(
                host, "roles", ["can_manage_roles", "can_list_roles", "can_list_agents"], clients: [acme], admin: admin)

            let selfEdit = try await host.request(
                .put, "/accounts/roles/\(myRole)/", as: .token(token), json: ["can_view_clients": [], "can_manage_accounts": true])
            #expect(selfEdit.status == 403)
            #expect(selfEdit.json["detail"]?.stringValue?.contains("role you hold") == true)
            let stored = try await host.server.storage.pool.query(
                "SELECT permissions, can_view_clients FROM roles WHERE id = $1", [String(myRole)]
            ).first!
            #expect(!PGArray.parse(stored["permissions"]).contains("can_manage_accounts"))
            #expect(PGArray.ints(stored["can_view_clients"]) == [acme])

            let grant = try await host.request(
                .post, "/accounts/roles/", as: .token(token),
                json: ["name": "r1", "can_run_scripts": true, "can_view_clients": .init([acme])])
            #expect(grant.status == 403)
            #expect(grant.json["detail"]?.stringValue == "You cannot grant permissions you do not hold: can_run_scripts.")
            let wider = try await host.request(.post, "/accounts/roles/", as: .token(token), json: ["name": "r2", "can_list_agents": true])
            #expect(wider.status == 403)
            let otherClient = try await host.request(
                .post, "/accounts/roles/", as: .token(token),
                json: ["name": "r3", "can_list_agents": true, "can_view_clients": .init([globex])])
            #expect(otherClient.status == 403)
            #expect(otherClient.json["detail"]?.stringValue == "Client \(globex) is outside your scope.")
            #expect(try await Self.count(host, "SELECT count(*) AS n FROM roles WHERE name LIKE 'r_'") == 0)

            // Within its rights and scope it works, and widening that role later is refused.
            let fine = try await host.request(
                .post, "/accounts/roles/", as: .token(token),
                json: ["name": "r4", "can_list_agents": true, "can_view_clients": .init([acme])])
            #expect(fine.status == 200)
            let r4 = try #require(fine.json["id"]?.intValue)
            #expect(try await host.request(.put, "/accounts/roles/\(r4)/", as: .token(token), json: ["can_view_clients": []]).status == 403)
            let narrowed = try await host.request(
                .put, "/accounts/roles/\(r4)/", as: .token(token), json: ["name": "r4-renamed", "can_list_agents": false])
            #expect(narrowed.status == 200, "\(narrowed.text)")

            // The scoped role still sees only its client.
            let agents = try await host.request(.get, "/agents/", as: .token(token))
            #expect(agents.status == 200)
        }
    }

    @Test func aSiteScope_cannotWriteTheWholeClientOrMoveAgentsOutOfSight() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (acme, hq) = try await host.client("Acme", admin: admin)
            let (_, globexSite) = try await host.client("Globex", admin: admin)
            #expect(
                try await host.request(
                    .post, "/clients/sites/", as: .token(admin), json: ["site": ["client": .init(acme), "name": "Branch"]]
                ).status == 200)
            let branch = try await host.server.storage.pool.query("SELECT id FROM sites WHERE name = 'Branch'").first!.int("id")
            try await host.seedAgent("hq-1", hostname: "hq-1", site: hq)
            let token = try await host.user(
                "siteops", permissions: ["can_manage_clients", "can_list_clients", "can_manage_sites", "can_list_sites"], sites: [hq],
                admin: admin)

            let rename = try await host.request(.put, "/clients/\(acme)/", as: .token(token), json: ["client": ["name": "Mine now"]])
            #expect(rename.status == 403)
            #expect(rename.json["detail"]?.stringValue?.contains("whole client") == true)
            #expect(try await host.request(.delete, "/clients/\(acme)/?move_to_site=\(globexSite)", as: .token(token)).status == 403)
            #expect(try await Self.count(host, "SELECT count(*) AS n FROM clients WHERE name = 'Acme'") == 1)
            #expect(try await Self.count(host, "SELECT count(*) AS n FROM sites WHERE id = $1", [String(branch)]) == 1)
            // Adding a site is a client-level write too.
            #expect(
                try await host.request(
                    .post, "/clients/sites/", as: .token(token), json: ["site": ["client": .init(acme), "name": "Third"]]
                ).status == 403)

            // A site it may delete still cannot send its agents where it cannot see.
            let siteAdmin = try await host.user(
                "siteadmin", permissions: ["can_manage_sites", "can_list_sites"], sites: [hq, branch], admin: admin)
            let move = try await host.request(.delete, "/clients/sites/\(hq)/?move_to_site=\(globexSite)", as: .token(siteAdmin))
            #expect(move.status == 404)
            #expect(
                try await host.server.storage.pool.query("SELECT site_id FROM agents WHERE agent_id = 'hq-1'").first!.int("site_id") == hq)
            #expect(try await host.request(.delete, "/clients/sites/\(hq)/?move_to_site=\(branch)", as: .token(siteAdmin)).status == 200)
            #expect(
                try await host.server.storage.pool.query("SELECT site_id FROM agents WHERE agent_id = 'hq-1'").first!.int("site_id")
                    == branch)
        }
    }

    @Test func theAuditLog_showsAScopedRoleOnlyItsClientsAndItsOwnEntries() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (acme, acmeSite) = try await host.client("Acme", admin: admin)
            let (_, globexSite) = try await host.client("Globex", admin: admin)
            try await host.seedAgent("agent-acme", hostname: "acme-pc", site: acmeSite)
            try await host.seedAgent("agent-globex", hostname: "globex-pc", site: globexSite)
            for agent in ["agent-acme", "agent-globex"] {
                try await host.server.context.audit.record(
                    .init(username: "admin", action: .executeScript, objectType: "agent", message: "ran on \(agent)", agentID: agent))
            }
            let token = try await host.user("auditor", permissions: ["can_view_auditlogs"], clients: [acme], admin: admin)

            let filtered = try await host.request(.patch, "/logs/audit/", as: .token(token), json: ["agentFilter": ["agent-globex"]])
            #expect(filtered.status == 200)
            #expect(filtered.json["total"]?.intValue == 0)
            let all = try await host.request(.patch, "/logs/audit/", as: .token(token), json: [:])
            let messages = all.json["audit_logs"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
            #expect(messages.contains("ran on agent-acme"))
            #expect(!messages.contains { $0.contains("globex") || $0.contains("Globex") })
            // The unscoped admin reads both.
            let everything = try await host.request(
                .patch, "/logs/audit/", as: .token(admin), json: ["agentFilter": ["agent-globex", "agent-acme"]])
            #expect(everything.json["total"]?.intValue == 2)
        }
    }

    @Test func policyRelated_listsOnlyWhatTheCallerSees_andAScopedRoleCannotEditAPolicyReachingOthers() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (acme, acmeSite) = try await host.client("Acme", admin: admin)
            let (globex, globexSite) = try await host.client("Globex", admin: admin)
            try await host.seedAgent("agent-acme", hostname: "acme-pc", site: acmeSite)
            try await host.seedAgent("agent-globex", hostname: "globex-pc", site: globexSite)
            #expect(try await host.request(.post, "/automation/policies/", as: .token(admin), json: ["name": "P"]).status == 200)
            let policy = try await host.server.storage.pool.query("SELECT id FROM policies WHERE name = 'P'").first!.int("id")
            for client in [acme, globex] {
                #expect(
                    try await host.request(
                        .put, "/clients/\(client)/", as: .token(admin), json: ["client": ["server_policy": .init(policy)]]
                    ).status == 200)
            }
            let token = try await host.user(
                "pol", permissions: ["can_list_automation_policies", "can_manage_automation_policies"], clients: [acme], admin: admin)
            let related = try await host.request(.get, "/automation/policies/\(policy)/related/", as: .token(token))
            #expect(related.status == 200)
            #expect(!related.text.contains("Globex"))
            #expect(related.json["server_clients"]?.arrayValue?.count == 1)

            let edit = try await host.request(.put, "/automation/policies/\(policy)/", as: .token(token), json: ["name": "Q"])
            #expect(edit.status == 403)
            #expect(edit.json["detail"]?.stringValue?.contains("client \(globex)") == true)
            #expect(try await host.request(.delete, "/automation/policies/\(policy)/", as: .token(token)).status == 403)
            // Once it reaches only Acme, the Acme operator may change it.
            #expect(
                try await host.request(.put, "/clients/\(globex)/", as: .token(admin), json: ["client": ["server_policy": .null]]).status
                    == 200)
            #expect(try await host.request(.put, "/automation/policies/\(policy)/", as: .token(token), json: ["name": "Q"]).status == 200)
        }
    }

    @Test func aScopedRole_cannotChangeTheCoreSettings_soNotMakeAPolicyEveryonesDefault() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let (acme, _) = try await host.client("Acme", admin: admin)
            #expect(try await host.request(.post, "/automation/policies/", as: .token(admin), json: ["name": "P"]).status == 200)
            let policy = try await host.server.storage.pool.query("SELECT id FROM policies WHERE name = 'P'").first!.int("id")
            let scoped = try await host.user(
                "settings", permissions: ["can_edit_core_settings", "can_view_core_settings"], clients: [acme], admin: admin)
            let refused = try await host.request(.put, "/core/settings/", as: .token(scoped), json: ["server_policy": .init(policy)])
            #expect(refused.status == 403)
            #expect(refused.json["detail"]?.stringValue?.contains("every client") == true)
            #expect(
                try await host.request(.put, "/core/settings/", as: .token(admin), json: ["server_policy": .init(policy)]).status == 200)
        }
    }
}
