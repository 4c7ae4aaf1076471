import Foundation
import Testing
@testable import GarrisonHost

/// Plugin routes served through the host: the host authenticates and authorizes, the
/// plugin answers once, synchronously or from another thread, or the host answers for it.
@Suite struct PluginsRouteTests {
    @Test func goodMinimalIsServedBehindAuthentication() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-minimal.toml", fixture: "good_minimal")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            let nobody = try await host.user("nobody", permissions: [], admin: admin)
            let lister = try await host.user("lister", permissions: ["can_list_agents"], admin: admin)
            #expect(try await host.request(.get, "/minimal/").status == 401)
            let denied = try await host.request(.get, "/minimal/", as: .token(nobody))
            #expect(denied.status == 403)
            #expect(denied.json["detail"]?.stringValue?.contains("can_list_agents") == true)
            let allowed = try await host.request(.get, "/minimal/", as: .token(lister))
            #expect(allowed.status == 200)
            #expect(allowed.json == ["ok": true])
            #expect(allowed.headers[.contentType] == "application/json")
            #expect(try await host.request(.get, "/minimal/", as: .token(admin)).status == 200)
        }
    }

    @Test func secondRespondIsRefusedWithPhase() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-minimal.toml", fixture: "good_minimal")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            let first = try await host.request(.get, "/minimal/twice/", as: .token(admin))
            #expect(first.status == 200)
            #expect(first.json == ["ok": true], "the first answer wins")
            let result = try await host.request(.get, "/minimal/twice/result/", as: .token(admin))
            #expect(result.json == ["second_status": -2])
        }
    }

    @Test func neverAnsweredCallGets504AfterTheTimeout() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-minimal.toml", fixture: "good_minimal")
        try await TestHost.with(plugins: folder, callTimeoutMS: 300) { host in
            let admin = try await host.adminToken()
            let started = ContinuousClock.now
            let reply = try await host.request(.get, "/minimal/never/", as: .token(admin))
            let elapsed = ContinuousClock.now - started
            #expect(reply.status == 504)
            #expect(reply.json["detail"]?.stringValue?.contains("did not answer GET /minimal/never/ within 300 ms") == true)
            #expect(elapsed >= .milliseconds(290) && elapsed < .seconds(5))
            // The host keeps serving the plugin's other routes.
            #expect(try await host.request(.get, "/minimal/", as: .token(admin)).status == 200)
        }
    }

    @Test func answerAfterTheTimeoutIsDroppedWithTimeout() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        let probe = try folder.add("10-probe.toml", fixture: "probe")
        try await TestHost.with(plugins: folder, callTimeoutMS: 200) { host in
            let admin = try await host.adminToken()
            #expect(try await host.request(.get, "/probe/late/", as: .token(admin)).status == 504)
            let reported = try await host.eventually { try folder.counter(probe, "garrison_fixture_late_respond_status") == -5 }
            #expect(reported, "call_respond after the deadline returns GARRISON_ERR_TIMEOUT")
        }
    }

    /// call_set_timeout (1.2): a call that set its own deadline is answered past the host's.
    @Test func callWithItsOwnTimeoutOutlivesTheHostsDeadline() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        let probe = try folder.add("10-probe.toml", fixture: "probe")
        try await TestHost.with(plugins: folder, callTimeoutMS: 200) { host in
            let admin = try await host.adminToken()
            let reply = try await host.request(.get, "/probe/late/?extend", as: .token(admin))
            #expect(reply.status == 200 && reply.json["late"] == true, "\(reply.status) \(reply.text)")
            // 0 ms and one past the maximum are INVALID (-1 -> 4), 2,000 ms is OK (0 -> 5).
            #expect(try folder.counter(probe, "garrison_fixture_set_timeout_codes") == 445)
            // The fixture stores call_respond's code after it returns, which may be after the reply arrived.
            let accepted = try await host.eventually { try folder.counter(probe, "garrison_fixture_late_respond_status") == 0 }
            #expect(accepted, "call_respond within the call's own deadline returns GARRISON_OK")
        }
    }

    @Test func answerFromAnotherThreadArrives() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-minimal.toml", fixture: "good_minimal")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            let replies = try await withThrowingTaskGroup(of: TestHost.Reply.self) { group in
                for _ in 0..<8 { group.addTask { try await host.request(.get, "/minimal/async/", as: .token(admin)) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == 200 && $0.json == ["async": true] })
        }
    }

    @Test func pluginBuiltAgainstABI10LoadsAndAnswers() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-old.toml", fixture: "old_minor")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            let reply = try await host.request(.get, "/oldminor/", as: .token(admin))
            #expect(reply.status == 200)
            #expect(reply.json == ["abi": "1.0"])
            let listing = try await host.request(.get, "/core/plugins/", as: .token(admin))
            #expect(listing.json.arrayValue?.first?["abi"] == "1.0")
        }
    }

    @Test func duplicatesAreRefusedWhileGoodMinimalKeepsServing() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-minimal.toml", fixture: "good_minimal")
        try folder.add("20-dup-name.toml", fixture: "dup_name")
        try folder.add("30-dup-route.toml", fixture: "dup_route")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            #expect(try await host.request(.get, "/minimal/", as: .token(admin)).json == ["ok": true])
            #expect(try await host.request(.get, "/dupname/", as: .token(admin)).status == 404)
            let listing = try await host.request(.get, "/core/plugins/", as: .token(admin)).json.arrayValue ?? []
            #expect(listing.map { $0["state"]?.stringValue ?? "" } == ["running", "failed", "failed"])
            #expect(listing.map { $0["code"]?.stringValue ?? "-" } == ["-", "duplicateName", "initFailed"])
        }
    }

    @Test(arguments: [("error", 500), ("silent", 500), ("late", 201)])
    func routeFunctionThatFailsWithoutAnsweringGets500(how: String, status: Int) async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-probe.toml", fixture: "probe")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            let reply = try await host.request(.get, "/probe/fail/\(how)/", as: .token(admin))
            #expect(reply.status == status)
            if status == 500 { #expect(reply.json["detail"]?.stringValue?.hasPrefix("Internal error") == true) }
        }
    }

    /// Rows: who calls, method, path, expected status. Each allow has a matching deny.
    static let permissionTable: [(String, String, String, Int)] = [
        ("anonymous", "GET", "/minimal/", 401),
        ("nobody", "GET", "/minimal/", 403),
        ("lister", "GET", "/minimal/", 200),
        ("admin", "GET", "/minimal/", 200),
        ("lister", "POST", "/minimal/", 405),
        ("lister", "GET", "/hello/", 403),
        ("viewer", "GET", "/hello/", 200),
        ("viewer", "POST", "/hello/someone/", 403),
        ("editor", "POST", "/hello/someone/", 200),
        ("anonymous", "GET", "/probe/events/", 401),
        ("nobody", "GET", "/probe/events/", 200),
        ("nobody", "GET", "/probe/perm/", 403),
        ("plugin-reader", "GET", "/probe/perm/", 200),
        ("admin", "GET", "/probe/perm/", 200),
        ("admin", "GET", "/api/v3/probe/", 401),
        ("lister", "GET", "/core/plugins/", 403),
        ("viewer", "GET", "/core/plugins/", 200),
        ("viewer", "POST", "/core/plugins/reload/", 403),
        ("maint", "POST", "/core/plugins/reload/", 200),
    ]

    @Test func pluginRoutePermissionTable() async throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-minimal.toml", fixture: "good_minimal")
        try folder.add("20-hello.toml", fixture: "hello-c")
        try folder.add("30-probe.toml", fixture: "probe")
        try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            var tokens: [String: TestHost.Credential] = ["anonymous": .none, "admin": .token(admin)]
            tokens["nobody"] = .token(try await host.user("nobody", permissions: [], admin: admin))
            tokens["lister"] = .token(try await host.user("lister", permissions: ["can_list_agents"], admin: admin))
            tokens["viewer"] = .token(try await host.user("viewer", permissions: ["can_view_core_settings"], admin: admin))
            tokens["editor"] = .token(try await host.user("editor", permissions: ["can_edit_core_settings"], admin: admin))
            tokens["maint"] = .token(try await host.user("maint", permissions: ["can_do_server_maint"], admin: admin))
            let role = try await host.request(
                .post, "/accounts/roles/", as: .token(admin), json: ["name": "plugin-readers", "plugin_permissions": ["plugin:probe:read"]])
            let roleID = try #require(role.json["id"]?.intValue)
            _ = try await host.request(
                .post, "/accounts/users/", as: .token(admin),
                json: ["username": "plugin-reader", "password": "password-plugin-reader", "role": .init(roleID)])
            tokens["plugin-reader"] = .token(try await host.login("plugin-reader", "password-plugin-reader"))
            for (who, method, path, expected) in Self.permissionTable {
                let reply = try await host.request(.init(method)!, path, as: tokens[who]!)
                #expect(reply.status == expected, "\(who) \(method) \(path): \(reply.status) \(reply.text)")
            }
        }
    }
}
