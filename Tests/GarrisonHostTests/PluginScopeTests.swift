import Foundation
import Testing
import TwoFactorCore
@testable import GarrisonHost

/// Rules 2, 4 and 7 of docs/compatibility.md §3.1 where plugins own the routes: the second factor of a superuser,
/// policy checks that would run outside the caller's scope, and a policy check's status list.
@Suite struct PluginScopeTests {
    @Test func resetTOTP_ofASuperuser_needsASuperuser() async throws {
        let folder = try PluginsTwoFactorTests.folder()
        defer { folder.cleanUp() }
        try await TestHost.with(plugins: folder) { host in
            let admin = try await PluginsTwoFactorTests.admin(host)
            _ = try await host.user("accounts", permissions: ["can_manage_accounts", "can_list_agents"], admin: admin.token)
            let enrolled = try await PluginsTwoFactorTests.enroll(host, "accounts", "password-accounts")
            let manager = try #require(
                try await PluginsTwoFactorTests.signIn(
                    host, "accounts", "password-accounts", code: PluginsTwoFactorTests.code(enrolled.secret, 0)
                ).json["token"]?.stringValue)
            let superID = try await EscalationTests.adminID(host)

            let refused = try await host.request(.put, "/accounts/users/reset_totp/", as: .token(manager), json: ["id": .init(superID)])
            #expect(refused.status == 403)
            #expect(refused.json["detail"]?.stringValue?.contains("superuser") == true)
            // The admin still needs its code: the enrollment is untouched.
            let withoutCode = try await PluginsTwoFactorTests.signIn(host, "admin", host.adminPassword)
            #expect(withoutCode.json["token"] == nil)
            #expect(try await PluginsTwoFactorTests.audited(host, "twofactor.reset_refused", user: "accounts"))

            // A user holding no more than the manager can be reset by it.
            let plainID = try await PluginsTwoFactorTests.makeUser(host, admin.token, "plain")
            #expect(
                try await host.request(.put, "/accounts/users/reset_totp/", as: .token(manager), json: ["id": .init(plainID)]).status == 200
            )
            #expect(try await host.request(.put, "/accounts/users/reset_totp/", as: .token(manager), json: ["id": 999_999]).status == 404)
        }
    }

    @Test func aScopedRole_cannotPutChecksOnAPolicyThatReachesAnotherClient() async throws {
        let folder = try PluginsChecksTests.folder()
        defer { folder.cleanUp() }
        try await TestHost.with(plugins: folder, callTimeoutMS: 20_000) { host in
            let admin = try await host.adminToken()
            let (acme, acmeSite) = try await host.client("Acme", admin: admin)
            let (globex, globexSite) = try await host.client("Globex", admin: admin)
            let (acmeAgent, _) = try await PluginsChecksTests.enroll(host, admin: admin, site: acmeSite)
            let (globexAgent, globexToken) = try await PluginsChecksTests.enroll(host, admin: admin, site: globexSite)
            #expect(try await host.request(.post, "/automation/policies/", as: .token(admin), json: ["name": "P"]).status == 200)
            let policy = try await host.server.storage.pool.query("SELECT id FROM policies WHERE name = 'P'").first!.int("id")
            #expect(
                try await host.request(.put, "/clients/\(globex)/", as: .token(admin), json: ["client": ["server_policy": .init(policy)]])
                    .status == 200)
            let scoped = try await host.user(
                "acmeops", permissions: ["can_manage_checks", "can_list_checks"], clients: [acme], admin: admin)

            let script: [String: JSON] = [
                "check_type": "script", "script": ["name": "probe", "code": "echo pwned", "shell": "shell"], "script_args": [],
                "timeout": 30,
            ]
            let refused = try await host.request(.post, "/automation/policies/\(policy)/checks/", as: .token(scoped), json: .object(script))
            #expect(refused.status == 403, "\(refused.text)")
            #expect(refused.json["detail"]?.stringValue?.contains("client \(globex)") == true)
            var viaBody = script
            viaBody["policy"] = .init(policy)
            #expect(try await host.request(.post, "/checks/", as: .token(scoped), json: .object(viaBody)).status == 403)
            let runner = try await host.request(.get, "/api/v3/\(globexAgent)/runchecks/", as: .token(globexToken))
            #expect(runner.json["checks"]?.arrayValue?.isEmpty ?? true, "nothing reached Globex's agent: \(runner.text)")

            // An admin's policy check: the scoped user may neither edit nor delete it, and its
            // status lists only the agents the caller sees.
            let disk: [String: JSON] = [
                "check_type": "diskspace", "disk": "C:", "warning_threshold": 25, "error_threshold": 10, "fails_b4_alert": 1,
            ]
            #expect(
                try await host.request(.post, "/automation/policies/\(policy)/checks/", as: .token(admin), json: .object(disk)).status
                    == 200)
            let checkID = try #require(
                try await host.request(.get, "/automation/policies/\(policy)/checks/", as: .token(admin)).json.arrayValue?.first?["id"]?
                    .intValue)
            #expect(try await host.request(.put, "/checks/\(checkID)/", as: .token(scoped), json: ["warning_threshold": 50]).status == 403)
            #expect(try await host.request(.delete, "/checks/\(checkID)/", as: .token(scoped)).status == 403)
            #expect(
                try await host.request(
                    .patch, "/api/v3/checkrunner/", as: .token(globexToken),
                    json: [
                        "id": .init(checkID), "agent_id": .string(globexAgent), "percent_used": 50.0,
                        "more_info": "Total: 100 GB, Free: 50 GB", "exists": true,
                    ]
                ).status == 200)
            let status = try await host.request(.get, "/automation/checks/\(checkID)/status/", as: .token(scoped))
            #expect(status.status == 200)
            #expect(!status.text.contains(globexAgent))
            let full = try await host.request(.get, "/automation/checks/\(checkID)/status/", as: .token(admin))
            #expect(full.text.contains(globexAgent))
            _ = acmeAgent
        }
    }
}
