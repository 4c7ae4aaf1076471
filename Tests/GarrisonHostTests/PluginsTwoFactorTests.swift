import Foundation
import Testing
import TwoFactorCore
@testable import GarrisonHost

/// The twofactor plugin (Plugins/TwoFactor), built next to this bundle and loaded by a real
/// host from plugins.d: enrollment with a QR code, enforcement at sign-in, the enrollment-limited
/// token, replay, recovery codes, throttling, audit, resets and refusing to start without a key.
@Suite struct PluginsTwoFactorTests {
    static var library: URL {
        URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent().appendingPathComponent("libTwoFactorPlugin.so")
    }

    static let window = 2

    /// A plugins.d with twofactor; `settings` replaces the default [settings] body.
    static func folder(settings: String? = nil) throws -> PluginFolder {
        let source = library
        try #require(
            FileManager.default.fileExists(atPath: source.path), "build the TwoFactorPlugin product first (swift build --build-tests)")
        let folder = try PluginFolder()
        let copy = folder.libraries.appendingPathComponent("libTwoFactorPlugin.so")
        try FileManager.default.copyItem(at: source, to: copy)
        chmod(copy.path, 0o755)
        let key = Data(try Random.bytes(32)).base64EncodedString()
        let body =
            settings ?? """
                required = true
                issuer = "Garrison Test"
                window = \(window)
                max_failures = 3
                secret_key = "\(key)"
                """
        try folder.write("30-twofactor.toml", "library = \"\(copy.path)\"\nenabled = true\n\n[settings]\n\(body)\n")
        return folder
    }

    // MARK: helpers

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    /// Our code `offset` steps from now (the tests of independent codes use pyotp).
    static func code(_ secret: [UInt8], _ offset: Int64) -> String {
        TOTP(secret: secret).code(at: now() + offset * 30)
    }

    /// Waits out the last seconds of a time step, so test and host agree on "now".
    static func awayFromStepBoundary() async throws {
        let into = Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 30)
        if into > 25 { try await Task.sleep(for: .milliseconds(Int((30.5 - into) * 1000))) }
    }

    static func signIn(_ host: TestHost, _ name: String, _ password: String, code: String? = nil, step: String = "/v2/login/") async throws
        -> TestHost.Reply
    {
        var body: [String: JSON] = ["username": .string(name), "password": .string(password)]
        if let code { body["twofactor"] = .string(code) }
        return try await host.request(.post, step, json: .object(body))
    }

    struct Enrolled {
        let secret: [UInt8]
        let limitedToken: String
        let recoveryCodes: [String]
        let setup: TestHost.Reply
    }

    /// checkcreds -> limited token -> setup_totp -> confirm_totp with a code `confirmOffset` steps away.
    static func enroll(_ host: TestHost, _ name: String, _ password: String, confirmOffset: Int64 = -1) async throws -> Enrolled {
        let first = try await signIn(host, name, password, step: "/v2/checkcreds/")
        #expect(first.status == 200 && first.json["scope"] == "2fa-enroll" && first.json["totp"] == false, "\(first.text)")
        let limited = try #require(first.json["token"]?.stringValue)
        let setup = try await host.request(.post, "/accounts/users/setup_totp/", as: .token(limited))
        #expect(setup.status == 200, "\(setup.text)")
        let base32 = setup.json["secret"]?.stringValue ?? ""
        let secret = try #require(Base32.decode(base32))
        // The code is `confirmOffset` steps from the step it was made in. On a loaded machine the
        // host may read the clock a step later, out of the window: then once more, fresh.
        let step = now() / 30
        var confirmed = try await host.request(
            .post, "/accounts/users/confirm_totp/", as: .token(limited), json: ["code": .string(code(secret, confirmOffset))])
        if confirmed.status == 400, now() / 30 != step {
            confirmed = try await host.request(
                .post, "/accounts/users/confirm_totp/", as: .token(limited), json: ["code": .string(code(secret, confirmOffset))])
        }
        #expect(confirmed.status == 200, "\(confirmed.text)")
        let codes = confirmed.json["recovery_codes"]?.arrayValue?.compactMap { $0.stringValue } ?? []
        return Enrolled(secret: secret, limitedToken: limited, recoveryCodes: codes, setup: setup)
    }

    /// Enrolls the first-run admin and returns a full token.
    static func admin(_ host: TestHost) async throws -> (token: String, secret: [UInt8]) {
        let enrolled = try await enroll(host, "admin", host.adminPassword)
        let reply = try await signIn(host, "admin", host.adminPassword, code: code(enrolled.secret, 0))
        let token = try #require(reply.json["token"]?.stringValue, "\(reply.text)")
        #expect(reply.json["scope"] == nil)
        return (token, enrolled.secret)
    }

    static func makeUser(_ host: TestHost, _ admin: String, _ name: String) async throws -> Int {
        let role = try await host.request(
            .post, "/accounts/roles/", as: .token(admin), json: ["name": .string("role-\(name)"), "can_list_agents": true])
        let roleID = try #require(role.json["id"]?.intValue, "\(role.text)")
        let created = try await host.request(
            .post, "/accounts/users/", as: .token(admin),
            json: ["username": .string(name), "password": .string("password-\(name)"), "role": .init(roleID)])
        #expect(created.status == 200, "\(created.text)")
        return try #require(try await host.server.storage.pool.query("SELECT id FROM users WHERE username = $1", [name]).first?.int("id"))
    }

    static func audited(_ host: TestHost, _ action: String, user: String? = nil) async throws -> Bool {
        try await host.eventually {
            let rows = try await host.server.storage.pool.query(
                "SELECT count(*)::int AS n FROM audit_log WHERE action = $1 AND ($2::text IS NULL OR username = $2)", [action, user])
            return (rows.first?.int("n") ?? 0) > 0
        }
    }

    // MARK: tests

    @Test func enrollmentIsForcedAndTheLimitedTokenOnlyEnrolls() async throws {
        let folder = try Self.folder()
        defer { folder.cleanUp() }
        try await TestHost.with(plugins: folder) { host in
            let first = try await Self.signIn(host, "admin", host.adminPassword)
            #expect(first.json["scope"] == "2fa-enroll", "no TOTP yet: only an enrollment token, \(first.text)")
            let limited = try #require(first.json["token"]?.stringValue)
            for path in ["/agents/", "/clients/", "/core/settings/", "/accounts/users/", "/core/plugins/"] {
                #expect(try await host.request(.get, path, as: .token(limited)).status == 403, "\(path)")
            }
            #expect(try await host.request(.put, "/accounts/reset2fa/", as: .token(limited), json: ["code": "123456"]).status == 403)
            #expect(try await host.request(.put, "/accounts/users/reset_totp/", as: .token(limited), json: ["id": 1]).status == 403)
            #expect(try await host.request(.get, "/accounts/users/totp_status/", as: .token(limited)).json["enrolled"] == false)

            // Setup: secret, otpauth URI, PNG and SVG QR codes; the PNG reads back as the URI.
            let setup = try await host.request(.post, "/accounts/users/setup_totp/", as: .token(limited))
            #expect(setup.status == 200, "\(setup.text)")
            let base32 = try #require(setup.json["secret"]?.stringValue)
            let secret = try #require(Base32.decode(base32))
            #expect(secret.count == 20)
            let uri = try #require(setup.json["otpauth_uri"]?.stringValue)
            #expect(uri == "otpauth://totp/Garrison%20Test:admin?secret=\(base32)&issuer=Garrison%20Test&algorithm=SHA1&digits=6&period=30")
            let pngText = setup.json["qr_png"]?.stringValue ?? ""
            let png = try #require(Data(base64Encoded: pngText))
            let file = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("garrison-2fa-\(Crypto.randomHex(bytes: 6)).png")
            try png.write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            #expect(try ZBar.read(file.path) == uri, "zbarimg reads the exact otpauth URI")
            #expect(setup.json["qr_svg"]?.stringValue?.hasPrefix("<?xml") == true)
            // The secret is stored encrypted, not in clear.
            let stored = try await host.server.storage.pool.query("SELECT secret FROM plugin_twofactor.totp").first?.string("secret")
            #expect(stored != nil && stored?.contains(base32) == false && stored != base32)

            // Confirmation needs a right code; then ten recovery codes, once.
            #expect(
                try await host.request(.post, "/accounts/users/confirm_totp/", as: .token(limited), json: ["code": "12345"]).status == 400)
            let confirmed = try await host.request(
                .post, "/accounts/users/confirm_totp/", as: .token(limited), json: ["code": .string(Self.code(secret, -1))])
            #expect(confirmed.status == 200, "\(confirmed.text)")
            let recovery = confirmed.json["recovery_codes"]?.arrayValue?.compactMap { $0.stringValue } ?? []
            #expect(recovery.count == 10)
            #expect(
                try await host.request(.post, "/accounts/users/setup_totp/", as: .token(limited)).status == 400, "enrolled: no second setup"
            )
            #expect(try await host.request(.get, "/agents/", as: .token(limited)).status == 403, "the limited token stays limited")
            #expect(try await Self.audited(host, "twofactor.enrolled", user: "admin"))

            // Sign-in now owes a code: checkcreds challenges, login demands it.
            let challenged = try await Self.signIn(host, "admin", host.adminPassword, step: "/v2/checkcreds/")
            #expect(challenged.status == 200 && challenged.json["totp"] == true && challenged.json["token"] == nil, "\(challenged.text)")
            #expect(try await Self.signIn(host, "admin", host.adminPassword).json["detail"] == "Bad code")
            let code = Self.code(secret, 0)
            let full = try await Self.signIn(host, "admin", host.adminPassword, code: code)
            let token = try #require(full.json["token"]?.stringValue, "\(full.text)")
            #expect(full.json["scope"] == nil)
            #expect(try await host.request(.get, "/agents/", as: .token(token)).status == 200)
            #expect(try await host.request(.get, "/core/settings/", as: .token(token)).status == 200)
            #expect(
                try await host.request(.get, "/accounts/users/totp_status/", as: .token(token)).json == [
                    "enrolled": true, "required": true, "recovery_codes_left": 10,
                ])

            // The same code again is a replay.
            #expect(try await Self.signIn(host, "admin", host.adminPassword, code: code).status == 400)
            #expect(try await Self.audited(host, "twofactor.code_failed", user: "admin"))

            // A recovery code works once.
            let rescued = try await Self.signIn(host, "admin", host.adminPassword, code: recovery[3].lowercased())
            #expect(rescued.json["token"]?.stringValue != nil, "\(rescued.text)")
            #expect(try await Self.signIn(host, "admin", host.adminPassword, code: recovery[3]).status == 400)
            #expect(try await Self.audited(host, "twofactor.recovery_code_used", user: "admin"))
            #expect(try await host.request(.get, "/accounts/users/totp_status/", as: .token(token)).json["recovery_codes_left"] == 9)
        }
    }

    /// Tactical RMM's dashboard: checkcreds, setup_totp with the short token, back to the sign-in
    /// page, checkcreds says totp, and the login with a code confirms the enrollment.
    @Test func tacticalRMMsFlowWithoutConfirmEnrollsAtTheFirstSignInWithACode() async throws {
        let folder = try Self.folder()
        defer { folder.cleanUp() }
        try await TestHost.with(plugins: folder) { host in
            let first = try await Self.signIn(host, "admin", host.adminPassword, step: "/v2/checkcreds/")
            let limited = try #require(first.json["token"]?.stringValue, "\(first.text)")
            let setup = try await host.request(.post, "/accounts/users/setup_totp/", as: .token(limited))
            #expect(setup.json["username"] == "admin" && setup.json["qr_url"]?.stringValue?.hasPrefix("otpauth://totp/") == true)
            let secret = try #require(Base32.decode(setup.json["totp_key"]?.stringValue ?? ""), "\(setup.text)")

            // Back at the sign-in page: the first step now asks for a code, as Tactical RMM's does.
            let again = try await Self.signIn(host, "admin", host.adminPassword, step: "/v2/checkcreds/")
            #expect(again.json == ["totp": true], "\(again.text)")
            // A wrong code is refused and counted; the enrollment stays pending.
            try await Self.awayFromStepBoundary()
            let wrong = try await Self.signIn(host, "admin", host.adminPassword, code: Self.code(secret, 7))
            #expect(wrong.status == 400 && wrong.json["token"] == nil, "\(wrong.text)")
            #expect(try await Self.audited(host, "twofactor.code_failed", user: "admin"))
            let ok = try await Self.signIn(host, "admin", host.adminPassword, code: Self.code(secret, 0))
            let token = try #require(ok.json["token"]?.stringValue, "\(ok.text)")
            #expect(ok.json["scope"] == nil)
            #expect(try await host.request(.get, "/core/plugins/", as: .token(token)).status == 200)
            #expect(try await Self.audited(host, "twofactor.enrolled", user: "admin"))
            // Enrolled now: the same code is spent, and the limited token's setup is over.
            let replay = try await Self.signIn(host, "admin", host.adminPassword, code: Self.code(secret, 0))
            #expect(replay.json["token"] == nil, "\(replay.text)")
            let status = try await host.request(.get, "/accounts/users/totp_status/", as: .token(token))
            #expect(status.json["enrolled"] == true, "\(status.text)")
        }
    }

    @Test func pyotpCodesAreAcceptedAtTheWindowEdgesOnly() async throws {
        let folder = try Self.folder()
        defer { folder.cleanUp() }
        try await TestHost.with(plugins: folder) { host in
            let admin = try await Self.admin(host)
            // The codes are made for the step the sequence starts in; a sequence that a loaded
            // machine stretched into the next step proves nothing either way, and runs again
            // with a new user (its codes are spent).
            for attempt in 1...4 {
                let name = "edge\(attempt)"
                _ = try await Self.makeUser(host, admin.token, name)
                let first = try await Self.signIn(host, name, "password-\(name)", step: "/v2/checkcreds/")
                let limited = try #require(first.json["token"]?.stringValue)
                let setup = try await host.request(.post, "/accounts/users/setup_totp/", as: .token(limited))
                let base32 = try #require(setup.json["secret"]?.stringValue)
                let w = Int64(Self.window)

                try await Self.awayFromStepBoundary()
                let t = Self.now()
                let codes = try PyOTP.codes(base32, at: [t - (w + 1) * 30, t - w * 30, t + w * 30, t + (w + 1) * 30, t + (w - 1) * 30])
                func confirm(_ code: String) async throws -> Int {
                    try await host.request(.post, "/accounts/users/confirm_totp/", as: .token(limited), json: ["code": .string(code)])
                        .status
                }
                func signIn(_ code: String) async throws -> TestHost.Reply {
                    try await Self.signIn(host, name, "password-\(name)", code: code)
                }
                let pastOutside = try await confirm(codes[0])
                let pastEdge = try await confirm(codes[1])
                let futureOutside = try await signIn(codes[3]).status
                let edge = try await signIn(codes[2])
                let replay = try await signIn(codes[2]).status
                let older = try await signIn(codes[4]).status
                guard Self.now() / 30 == t / 30 else {
                    if attempt == 4 { Issue.record("every attempt crossed a time step; the machine is too slow for this test") }
                    continue
                }
                #expect(pastOutside == 400, "one step outside the window (past)")
                #expect(pastEdge == 200, "the window's past edge")
                #expect(futureOutside == 400, "one step outside the window (future)")
                #expect(edge.status == 200 && edge.json["token"]?.stringValue != nil, "the window's future edge: \(edge.text)")
                #expect(replay == 400, "replay")
                #expect(older == 400, "a step before the last used one")
                break
            }
        }
    }

    @Test func wrongCodesAreThrottledAndAudited() async throws {
        let folder = try Self.folder()
        defer { folder.cleanUp() }
        try await TestHost.with(plugins: folder) { host in
            let admin = try await Self.admin(host)
            let carolID = try await Self.makeUser(host, admin.token, "carol")
            let carol = try await Self.enroll(host, "carol", "password-carol")
            for wrong in ["000000", "111111", "ABCDE-FGHIJ"] {
                #expect(try await Self.signIn(host, "carol", "password-carol", code: wrong).json["detail"] == "Bad code")
            }
            let refused = try await Self.signIn(host, "carol", "password-carol", code: Self.code(carol.secret, 0))
            #expect(refused.status == 400 && refused.json["token"] == nil, "max_failures = 3 reached: even the right code is refused")
            #expect(try await Self.audited(host, "twofactor.throttled", user: "carol"))
            let failures = try await host.server.storage.pool.query(
                "SELECT count(*)::int AS n FROM audit_log WHERE action = 'twofactor.code_failed' AND username = 'carol'"
            ).first?.int("n")
            #expect(failures == 3)

            // An admin reset clears enrollment and throttle; carol enrolls afresh.
            let reset = try await host.request(.put, "/accounts/users/reset_totp/", as: .token(admin.token), json: ["id": .init(carolID)])
            #expect(reset.status == 200 && reset.json["reset"] == true, "\(reset.text)")
            #expect(try await Self.audited(host, "twofactor.reset_by_admin", user: "admin"))
            let again = try await Self.signIn(host, "carol", "password-carol")
            #expect(again.json["scope"] == "2fa-enroll", "\(again.text)")
        }
    }

    @Test func adminAndSelfResets() async throws {
        let folder = try Self.folder()
        defer { folder.cleanUp() }
        try await TestHost.with(plugins: folder) { host in
            let admin = try await Self.admin(host)
            let daveID = try await Self.makeUser(host, admin.token, "dave")
            _ = try await Self.makeUser(host, admin.token, "erin")

            // dave: full token, then resets himself with a recovery code.
            let dave = try await Self.enroll(host, "dave", "password-dave")
            let daveToken = try #require(
                try await Self.signIn(host, "dave", "password-dave", code: Self.code(dave.secret, 0)).json["token"]?.stringValue)
            #expect(
                try await host.request(.put, "/accounts/users/reset_totp/", as: .token(daveToken), json: ["id": .init(daveID)]).status
                    == 403,
                "resetting others needs can_manage_accounts")
            #expect(try await host.request(.put, "/accounts/reset2fa/", as: .token(daveToken), json: ["code": "000000"]).status == 400)
            let selfReset = try await host.request(
                .put, "/accounts/reset2fa/", as: .token(daveToken), json: ["code": .string(dave.recoveryCodes[0])])
            #expect(selfReset.status == 200, "\(selfReset.text)")
            #expect(try await Self.audited(host, "twofactor.reset_by_self", user: "dave"))
            #expect(try await Self.signIn(host, "dave", "password-dave").json["scope"] == "2fa-enroll")

            // erin: resets herself with a current code.
            let erin = try await Self.enroll(host, "erin", "password-erin")
            let erinToken = try #require(
                try await Self.signIn(host, "erin", "password-erin", code: Self.code(erin.secret, 0)).json["token"]?.stringValue)
            #expect(
                try await host.request(
                    .put, "/accounts/reset2fa/", as: .token(erinToken), json: ["code": .string(Self.code(erin.secret, 1))]
                ).status == 200)
            #expect(try await Self.signIn(host, "erin", "password-erin").json["scope"] == "2fa-enroll")

            // Admin resets a user that has no TOTP: fine, says so.
            let none = try await host.request(.put, "/accounts/users/reset_totp/", as: .token(admin.token), json: ["id": .init(daveID)])
            #expect(none.status == 200 && none.json["reset"] == false)
        }
    }

    @Test func notRequiredLetsUnenrolledUsersIn() async throws {
        let key = Data(try Random.bytes(32)).base64EncodedString()
        let keyFile = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("garrison-2fa-key-\(Crypto.randomHex(bytes: 6))")
        try (key + "\n").write(to: keyFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: keyFile) }
        let folder = try Self.folder(settings: "required = false\nsecret_key_file = \"\(keyFile.path)\"")
        defer { folder.cleanUp() }
        try await TestHost.with(plugins: folder) { host in
            let reply = try await Self.signIn(host, "admin", host.adminPassword)
            #expect(reply.status == 200 && reply.json["scope"] == nil && reply.json["token"]?.stringValue != nil, "\(reply.text)")
        }
    }

    @Test(arguments: ["", "secret_key = \"c2hvcnQ=\"", "secret_key_file = \"/nonexistent/key\""])
    func refusesToStartWithoutAGoodKey(settings: String) async throws {
        let folder = try Self.folder(settings: "required = true\n" + settings)
        defer { folder.cleanUp() }
        try await TestHost.with(plugins: folder) { host in
            // The plugin did not start, so nothing asks admin for a code.
            let admin = try await host.adminToken()
            let plugins = try await host.request(.get, "/core/plugins/", as: .token(admin))
            let entry =
                plugins.json.arrayValue?.first { $0["name"] == "twofactor" }
                ?? plugins.json["plugins"]?.arrayValue?.first { $0["name"] == "twofactor" }
            #expect(entry?["state"] != "running", "\(plugins.text)")
        }
    }
}

/// Outside tools: pyotp (an independent TOTP) and zbarimg (a real QR reader).
enum PyOTP {
    static func codes(_ secret: String, at times: [Int64]) throws -> [String] {
        let script = "import pyotp,sys; t=pyotp.TOTP(sys.argv[1]); print(' '.join(t.at(int(x)) for x in sys.argv[2:]))"
        return try Outside.run(["python3", "-c", script, secret] + times.map(String.init)).split(separator: " ").map(String.init)
    }
}

enum ZBar {
    static func read(_ path: String) throws -> String { try Outside.run(["zbarimg", "--quiet", "--raw", path]) }
}

/// Outside programs through the host's own Subprocess (posix_spawn, no inherited descriptors).
enum Outside {
    static func run(_ arguments: [String]) throws -> String {
        guard let program = Subprocess.which(arguments[0]) else { throw TestFailure("\(arguments[0]) is not installed") }
        let result = try Subprocess.run(program, Array(arguments.dropFirst()), errorsApart: true)
        guard result.status == 0 else { throw TestFailure("\(arguments[0]) failed: \(result.errors)") }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
