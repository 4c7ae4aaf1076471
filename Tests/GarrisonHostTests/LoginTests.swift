import Foundation
import Testing
@testable import GarrisonHost

@Suite struct LoginTests {
    @Test func checkCredentialsThenLoginIssuesAWorkingToken() async throws {
        try await TestHost.with { host in
            let step1 = try await host.request(
                .post, "/v2/checkcreds/", json: ["username": "admin", "password": .string(host.adminPassword)])
            #expect(step1.status == 200)
            #expect(step1.json["totp"] == false)
            let token = try await host.adminToken()
            #expect(token.count == 64)
            let version = try await host.request(.get, "/core/version/", as: .token(token))
            #expect(version.status == 200)
            #expect(version.json.stringValue == GarrisonVersion.build)
            #expect(GarrisonVersion.build.hasPrefix(GarrisonVersion.string))
            // Only a digest is stored.
            let stored = try await host.server.storage.pool.query("SELECT count(*) AS n FROM auth_tokens WHERE digest = $1", [token]).first?
                .int("n")
            #expect(stored == 0)
        }
    }

    @Test func wrongPasswordIsRefusedAndAudited() async throws {
        try await TestHost.with { host in
            let reply = try await host.request(.post, "/v2/login/", json: ["username": "admin", "password": "wrong-password"])
            #expect(reply.status == 400)
            #expect(reply.json["detail"] == "Bad credentials")
            let unknown = try await host.request(.post, "/v2/checkcreds/", json: ["username": "nobody-here", "password": "whatever1"])
            #expect(unknown.status == 400)
            let failures = try await host.server.storage.pool.query(
                "SELECT username FROM audit_log WHERE action = 'failed_login' ORDER BY id"
            ).rows.map { $0.string("username") }
            #expect(failures == ["admin", "nobody-here"])
        }
    }

    @Test func repeatedFailuresAreThrottledEvenForTheRightPassword() async throws {
        try await TestHost.with { host in
            for _ in 0..<5 {
                let reply = try await host.request(.post, "/v2/login/", json: ["username": "admin", "password": "wrong-password"])
                #expect(reply.status == 400)
            }
            let throttled = try await host.request(
                .post, "/v2/login/", json: ["username": "admin", "password": .string(host.adminPassword)])
            #expect(throttled.status == 429)
            #expect(Int(throttled.headers[.retryAfter] ?? "") ?? 0 >= 1)
        }
    }

    @Test func logoutRevokesTheTokenAndLogoutAllRevokesEveryToken() async throws {
        try await TestHost.with { host in
            let first = try await host.adminToken()
            let second = try await host.adminToken()
            #expect(try await host.request(.post, "/logout/", as: .token(first)).status == 204)
            #expect(try await host.request(.get, "/core/version/", as: .token(first)).status == 401)
            #expect(try await host.request(.get, "/core/version/", as: .token(second)).status == 200)
            #expect(try await host.request(.post, "/logoutall/", as: .token(second)).status == 204)
            #expect(try await host.request(.get, "/core/version/", as: .token(second)).status == 401)
        }
    }

    @Test func anExpiredTokenIsRefused() async throws {
        try await TestHost.with { host in
            let token = try await host.adminToken()
            try await host.server.storage.pool.query(
                "UPDATE auth_tokens SET expiry = now() - interval '1 second' WHERE digest = $1", [Crypto.sha256Hex(token)])
            host.server.context.authenticator.invalidateAll()
            #expect(try await host.request(.get, "/core/version/", as: .token(token)).status == 401)
        }
    }

    @Test func sessionsCanBeListedAndRevokedOneByOne() async throws {
        try await TestHost.with { host in
            let keep = try await host.adminToken()
            let drop = try await host.adminToken()
            let sessions = try await host.request(.get, "/accounts/users/1/sessions/", as: .token(keep))
            #expect(sessions.status == 200)
            let list = sessions.json.arrayValue ?? []
            #expect(list.count == 2)
            let dropID = list.first { $0["token_prefix"]?.stringValue == String(drop.prefix(8)) }?["id"]?.intValue
            #expect(dropID != nil)
            #expect(try await host.request(.delete, "/accounts/sessions/\(dropID ?? 0)/", as: .token(keep)).status == 204)
            #expect(try await host.request(.get, "/core/version/", as: .token(drop)).status == 401)
            #expect(try await host.request(.get, "/core/version/", as: .token(keep)).status == 200)
        }
    }

    @Test func anInactiveUserCannotLogIn() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            _ = try await host.user("carol", permissions: [], admin: admin)
            let id = try await host.server.storage.pool.query("SELECT id FROM users WHERE username = 'carol'").first!.int("id")
            #expect(try await host.request(.put, "/accounts/\(id)/users/", as: .token(admin), json: ["is_active": false]).status == 200)
            let reply = try await host.request(.post, "/v2/login/", json: ["username": "carol", "password": "password-carol"])
            #expect(reply.status == 400)
        }
    }

    @Test func aSecondFactorHookTurnsCheckCredsIntoAChallenge() async throws {
        struct DemandCode: LoginHook {
            func evaluate(stage: LoginStage, subject: LoginSubject, request: JSON, sourceIP: String) async -> LoginVerdict {
                request["twofactor"]?.stringValue == "123456" ? .allow : .challenge(["totp": true])
            }
        }
        try await TestHost.with { host in
            host.server.context.loginHooks.add(owner: "test", DemandCode())
            let step1 = try await host.request(
                .post, "/v2/checkcreds/", json: ["username": "admin", "password": .string(host.adminPassword)])
            #expect(step1.status == 200)
            #expect(step1.json["totp"] == true)
            #expect(step1.json["token"] == nil)
            let bad = try await host.request(
                .post, "/v2/login/", json: ["username": "admin", "password": .string(host.adminPassword), "twofactor": "000000"])
            #expect(bad.status == 400)
            #expect(bad.json["detail"] == "Bad code")
            let good = try await host.request(
                .post, "/v2/login/", json: ["username": "admin", "password": .string(host.adminPassword), "twofactor": "123456"])
            #expect(good.status == 200)
            #expect(good.json["token"]?.stringValue != nil)
        }
    }

    @Test func aLimitedTokenReachesOnlyRoutesThatAcceptItsScope() async throws {
        struct EnrollOnly: LoginHook {
            func evaluate(stage: LoginStage, subject: LoginSubject, request: JSON, sourceIP: String) async -> LoginVerdict {
                .limited("2fa-enroll")
            }
        }
        try await TestHost.with { host in
            host.server.context.loginHooks.add(owner: "test", EnrollOnly())
            let reply = try await host.request(.post, "/v2/login/", json: ["username": "admin", "password": .string(host.adminPassword)])
            #expect(reply.json["scope"] == "2fa-enroll")
            let token = reply.json["token"]?.stringValue ?? ""
            let denied = try await host.request(.get, "/agents/", as: .token(token))
            #expect(denied.status == 403)
            #expect(denied.json["detail"]?.stringValue?.contains("2fa-enroll") == true)
            #expect(try await host.request(.post, "/logout/", as: .token(token)).status == 204)
        }
    }
}

/// `garrison --version` names the release and the commit it was built from (Tools/build-info),
/// the same build this test bundle was made in.
@Suite struct VersionTests {
    @Test func versionNamesTheCommit() throws {
        let result = try Subprocess.run(PackagePaths.garrison.path, ["--version"])
        #expect(result.status == 0)
        #expect(
            result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "\(GarrisonVersion.string) (commit \(GarrisonVersion.commit))")
        let commit = GarrisonVersion.commit.replacingOccurrences(of: "-dirty", with: "")
        #expect(commit == "unknown" || (commit.count == 40 && commit.allSatisfy(\.isHexDigit)), "\(GarrisonVersion.commit)")
        if FileManager.default.fileExists(atPath: PackagePaths.root.appendingPathComponent(".git").path) {
            #expect(commit != "unknown", "built from a git checkout, so the commit is known")
        }
    }
}
