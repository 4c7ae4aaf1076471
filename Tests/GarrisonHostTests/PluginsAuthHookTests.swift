import Foundation
import Testing
@testable import GarrisonHost

/// A plugin's auth hook in operator sign-in: verdicts, limited tokens for scoped routes, and
/// a hook that errs or never answers failing closed.
@Suite struct PluginsAuthHookTests {
    static func makeUsers(_ host: TestHost, _ admin: String, _ names: [String]) async throws {
        let role = try await host.request(
            .post, "/accounts/roles/", as: .token(admin), json: ["name": "operators", "can_list_agents": true])
        let roleID = try #require(role.json["id"]?.intValue)
        for name in names {
            let created = try await host.request(
                .post, "/accounts/users/", as: .token(admin),
                json: ["username": .string(name), "password": .string("password-\(name)"), "role": .init(roleID)])
            #expect(created.status == 200, "\(name): \(created.text)")
        }
    }

    static func login(_ host: TestHost, _ name: String, code: String? = nil, step: String = "/v2/login/") async throws -> TestHost.Reply {
        var body: [String: JSON] = ["username": .string(name), "password": .string("password-\(name)")]
        if let code { body["twofactor"] = .string(code) }
        return try await host.request(.post, step, json: .object(body))
    }

    @Test func verdictsDecideSignIn() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-probe.toml", fixture: "probe")
        try await TestHost.with(plugins: folder, callTimeoutMS: 300) { host in
            let admin = try await host.adminToken()
            try await Self.makeUsers(host, admin, ["plain", "hooked-deny", "hooked-challenge", "hooked-slow", "hooked-error"])

            let plain = try await Self.login(host, "plain")
            #expect(plain.status == 200, "every hook deferred (and none saw the password): \(plain.text)")

            let denied = try await Self.login(host, "hooked-deny")
            #expect(denied.status == 400)
            let reason = try await host.server.storage.pool.query(
                "SELECT message FROM audit_log WHERE action = 'failed_login' AND username = 'hooked-deny'"
            ).first?.string("message")
            #expect(reason?.contains("probe says no") == true)

            let challenged = try await Self.login(host, "hooked-challenge", step: "/v2/checkcreds/")
            #expect(challenged.status == 200)
            #expect(challenged.json["totp"] == true)
            #expect(challenged.json["token"] == nil)
            #expect(try await Self.login(host, "hooked-challenge").json["detail"] == "Bad code")
            let passed = try await Self.login(host, "hooked-challenge", code: "123456")
            #expect(passed.status == 200 && passed.json["token"]?.stringValue != nil)

            let started = ContinuousClock.now
            #expect(try await Self.login(host, "hooked-slow").status == 400, "no answer in time counts as deny")
            #expect(ContinuousClock.now - started < .seconds(3))
            #expect(try await Self.login(host, "hooked-error").status == 400, "an error counts as deny")
        }
    }

    @Test func limitedTokenReachesOnlyScopedRoutes() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-probe.toml", fixture: "probe")
        try folder.add("20-minimal.toml", fixture: "good_minimal")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            try await Self.makeUsers(host, admin, ["hooked-limited"])
            let reply = try await Self.login(host, "hooked-limited")
            #expect(reply.json["scope"] == "2fa-enroll")
            let token = try #require(reply.json["token"]?.stringValue)
            #expect(try await host.request(.get, "/probe/scoped/", as: .token(token)).json == ["scoped": true])
            #expect(try await host.request(.get, "/probe/events/", as: .token(token)).status == 403)
            #expect(try await host.request(.get, "/minimal/", as: .token(token)).status == 403, "even with can_list_agents")
        }
    }

    @Test func disabledPluginsHookNoLongerVotes() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-probe.toml", fixture: "probe")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            try await Self.makeUsers(host, admin, ["hooked-deny"])
            #expect(try await Self.login(host, "hooked-deny").status == 400)
            try folder.remove("10-probe.toml")
            #expect(try await host.request(.post, "/core/plugins/reload/", as: .token(admin)).json["disabled"] == ["probe"])
            #expect(try await Self.login(host, "hooked-deny").status == 200)
        }
    }
}
