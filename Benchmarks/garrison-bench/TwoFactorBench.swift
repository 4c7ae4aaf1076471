import ArgumentParser
import Foundation
import GarrisonHost
import Logging
import NIOConcurrencyHelpers
import TwoFactorCore

/// `garrison-bench twofactor`: what a TOTP sign-in costs the server apart from the password KDF,
/// and what the KDF (scrypt N=2^15, r=8, p=1) costs.
///
/// 1. In process: the plugin's crypto per login (AES-256-GCM open of the secret, TOTP
///    match over the window) and PasswordHasher().hash / verify.
/// 2. Through a real host over TLS with the twofactor plugin loaded and a near-free
///    password hash (scrypt N=2): server time of POST /v2/checkcreds/ (challenge) and
///    POST /v2/login/ with a TOTP code, as curl's time_starttransfer - time_pretransfer
///    (request sent to first byte back: excludes connect, TLS and curl's start).
struct TwoFactorBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "twofactor", abstract: "TOTP login server time without the KDF; the KDF's cost.")

    @Option(help: "Sign-ins per figure through the host.") var logins = 200
    @Option(help: "Iterations of the in-process crypto figure.") var iterations = 20_000
    @Option(help: "KDF hashes/verifies to time.") var kdf = 10

    func run() async throws {
        print("garrison-bench twofactor: 2 cores shared by server, PostgreSQL and curl")
        try cryptoFigures()
        try await hostFigures()
    }

    func cryptoFigures() throws {
        let box = try SecretBox(key: try Random.bytes(32))
        let secret = try Random.bytes(20)
        let sealed = try box.seal(secret, associatedData: Array("garrison-2fa:user:1".utf8))
        let now = Int64(Date().timeIntervalSince1970)
        let code = TOTP(secret: secret).code(at: now + 30)
        var hits = 0
        let crypto = ContinuousClock().measure {
            for _ in 0..<iterations {
                let opened = (try? box.open(sealed, associatedData: Array("garrison-2fa:user:1".utf8))) ?? []
                if TOTP(secret: opened).match(code, at: now, window: 1, after: nil) != nil { hits += 1 }
            }
        }
        precondition(hits == iterations)
        print(
            String(
                format: "TOTP check in process (AES-256-GCM open + 3 HMAC-SHA1, window 1): %.1f µs each (%d iterations)",
                crypto.seconds * 1e6 / Double(iterations), iterations))

        let hasher = PasswordHasher()
        var stored = ""
        let hashing = ContinuousClock().measure { for _ in 0..<kdf { stored = hasher.hash("correct horse battery staple") } }
        var ok = 0
        let verifying = ContinuousClock().measure {
            for _ in 0..<kdf { if hasher.verify("correct horse battery staple", against: stored) { ok += 1 } }
        }
        precondition(ok == kdf)
        print(
            String(
                format: "password KDF scrypt N=2^15 r=8 p=1: hash %.1f ms, verify %.1f ms (mean of %d)",
                hashing.seconds * 1e3 / Double(kdf), verifying.seconds * 1e3 / Double(kdf), kdf))
    }

    func hostFigures() async throws {
        let library = try BenchHost.builtPlugin("TwoFactorPlugin")
        let database = try BenchDatabase.start()
        defer { database.stop() }
        let config = try BenchHost.config(database)
        let key = try Random.bytes(32)
        try BenchHost.enable(
            library, file: "twofactor.toml",
            rest:
                "enabled = true\nrequired = true\n[settings]\nsecret_key = \"\(Data(key).base64EncodedString())\"\nmax_failures = 1000000\n",
            in: config.pluginsDirectory, mode: 0o600)
        chmod(database.root.path, 0o755)
        chmod(config.pluginsDirectory, 0o755)

        var cheap = PasswordHasher()
        cheap.n = 2  // the KDF is timed apart; here it must not hide the rest
        let server = try await GarrisonHostServer.start(config: config, logger: BenchHost.logger, hasher: cheap)
        let password = try String(contentsOfFile: config.dataDirectory + "/initial-admin-password", encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)

        // Enroll admin directly in the plugin's table, with a secret sealed under the same key.
        let pool = server.storage.pool
        let adminID = try await pool.query("SELECT id FROM users WHERE username = 'admin'").first!.int("id")
        let secret = try Random.bytes(20)
        let sealed = try SecretBox(key: key).seal(secret, associatedData: Array("garrison-2fa:user:\(adminID)".utf8))
        try await pool.query(
            "INSERT INTO plugin_twofactor.totp (user_id, username, secret, confirmed) VALUES ($1, 'admin', $2, true)",
            [String(adminID), Data(sealed).base64EncodedString()])

        let port = NIOLockedValueBox(0)
        let app = try server.application { bound in port.withLockedValue { $0 = bound } }
        let running = Task { try await app.runService() }
        while port.withLockedValue({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        let base = "https://127.0.0.1:\(port.withLockedValue { $0 })"

        let totp = TOTP(secret: secret)
        var challenge: [Double] = [], login: [Double] = []
        for _ in 0..<logins {
            let check = try timed(base + "/v2/checkcreds/", "{\"username\":\"admin\",\"password\":\"\(password)\"}")
            guard check.body.contains("\"totp\":true") else { throw BenchError("checkcreds: \(check.body)") }
            challenge.append(check.seconds)
            // Each step is good once: forget the last one (untimed) so every sign-in can use a code.
            try await pool.query("UPDATE plugin_twofactor.totp SET last_step = NULL")
            let code = totp.code(at: Int64(Date().timeIntervalSince1970))
            let signIn = try timed(base + "/v2/login/", "{\"username\":\"admin\",\"password\":\"\(password)\",\"twofactor\":\"\(code)\"}")
            guard signIn.body.contains("\"token\"") else { throw BenchError("login: \(signIn.body)") }
            login.append(signIn.seconds)
        }
        for (name, samples) in [
            ("POST /v2/checkcreds/ (TOTP challenge)", challenge), ("POST /v2/login/ with TOTP code (token issued)", login),
        ] {
            let sorted = samples.sorted()
            func pct(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1e3 }
            print(
                String(
                    format: "%@: server time p50 %.2f ms, p90 %.2f ms, p99 %.2f ms (%d sign-ins, scrypt N=2 so the KDF is ~0)",
                    name, pct(0.5), pct(0.9), pct(0.99), sorted.count))
        }
        running.cancel()
        await server.shutdown()
    }

    /// One POST through curl; seconds from request sent to first response byte.
    func timed(_ url: String, _ body: String) throws -> (seconds: Double, body: String) {
        let result = try Subprocess.run(
            "/usr/bin/curl",
            [
                "-sk", "-X", "POST", "-H", "Content-Type: application/json", "-d", body,
                "-w", "\n%{time_pretransfer} %{time_starttransfer}", url,
            ])
        let lines = result.output.split(separator: "\n")
        guard let last = lines.last else { throw BenchError("curl: no output") }
        let times = last.split(separator: " ").compactMap { Double($0) }
        guard times.count == 2 else { throw BenchError("curl timing: \(last)") }
        return (times[1] - times[0], lines.dropLast().joined(separator: "\n"))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
