import Foundation
import Testing
@testable import GarrisonHost

/// Schemathesis (an independent OpenAPI fuzzer, installed by scripts/install-deps.sh) against
/// `GET /api/schema/` of a real listener with every shipped plugin loaded, once as a superuser
/// and once as an operator whose role holds every permission scoped to one client. It fails
/// on any 5xx, a request that hangs, an answer the schema does not describe (status, content
/// type, body), and a host that no longer answers afterwards.
///
/// The example count per operation is small so the suite fits CI; a release runs it longer with
/// `GARRISON_SCHEMA_FUZZ_EXAMPLES` (and `GARRISON_SCHEMA_FUZZ_SEED` for another seed), see README.md.
@Suite(.serialized) struct SchemaFuzzTests {
    /// Operations that cannot be fuzzed without cutting the fuzzer off from the host. Each is
    /// "METHOD path" as the schema names it (schemathesis `--exclude-name`).
    static let excluded: [(operation: String, why: String)] = [
        ("POST /logout/", "ends the fuzzer's own session"),
        ("POST /logoutall/", "ends every session of the fuzzer's user"),
        ("DELETE /accounts/sessions/{id}/", "revokes sessions, the fuzzer's own among them"),
        ("DELETE /accounts/users/{pk}/sessions/", "revokes every session of a user, the fuzzer's own among them"),
        ("PUT /accounts/resetpw/", "changes the fuzzer's own password and ends its sessions"),
        ("POST /accounts/users/reset/", "resets a user's password and ends its sessions, the fuzzer's own when the id is its own"),
        ("POST /core/plugins/reload/", "unloads and reloads the plugins whose routes are being fuzzed"),
    ]

    /// Examples per operation: small by default (CI), more for a release run.
    static var examples: Int {
        ProcessInfo.processInfo.environment["GARRISON_SCHEMA_FUZZ_EXAMPLES"].flatMap { Int($0) }.map { min(max($0, 1), 100_000) } ?? 8
    }

    static var seed: String { ProcessInfo.processInfo.environment["GARRISON_SCHEMA_FUZZ_SEED"] ?? "15" }

    /// The three shipped plugins, copied next to this bundle's build, with settings that let
    /// every route answer: two-factor not required (the fuzzer signs in with a password only).
    static func plugins() throws -> PluginFolder { try PluginFolder.shippedPlugins(twoFactor: "issuer = \"Garrison Fuzz\"") }

    @Test(.timeLimit(.minutes(6)))
    func schemathesis_findsNoServerErrorHangOrSchemaMismatch_asSuperuserAndAsScopedOperator() async throws {
        let folder = try Self.plugins()
        defer { folder.cleanUp() }
        try await TestHost.with(configure: { config in
            config.pluginsDirectory = folder.path
            config.plainHTTP = true
            config.natsEnabled = true
            config.databasePoolSize = 8
        }) { host in
            let admin = try await host.adminToken()
            #expect(try await host.request(.get, "/core/plugins/", as: .token(admin)).text.contains("checks"))
            // Objects for the fuzzer's ids to land on: a client of the scoped operator and one
            // outside its scope, each with an agent that has never connected.
            let (inside, insideSite) = try await host.client("fuzz-inside", admin: admin)
            let (_, outsideSite) = try await host.client("fuzz-outside", admin: admin)
            try await host.seedAgent("fuzz-agent-inside", hostname: "fuzz-inside", site: insideSite, lastSeenMinutesAgo: nil)
            try await host.seedAgent("fuzz-agent-outside", hostname: "fuzz-outside", site: outsideSite, lastSeenMinutesAgo: nil)
            let created = try await host.request(
                .post, "/accounts/users/", as: .token(admin),
                json: [
                    "username": "fuzz-super", "password": "password-fuzz-super", "is_superuser": true,
                ])
            #expect(created.status == 200, "\(created.text)")
            let superuser = try await host.login("fuzz-super", "password-fuzz-super")
            let scoped = try await host.user("fuzz-scoped", permissions: Permissions.all, clients: [inside], admin: admin)

            try await host.listening { port in
                // The scoped operator first: the superuser's run may delete or edit that user.
                for (who, token) in [("scoped operator", scoped), ("superuser", superuser)] {
                    for run in [Run.coverage, .fuzzing] {
                        let result = try await offCooperativePool { try Self.schemathesis(run, port: port, token: token) }
                        #expect(
                            result.status == 0,
                            "schemathesis \(run) as \(who) (exit \(result.status); 124 is the hard timeout):\n\(Self.tail(result.output))")
                        // Still up and answering over the same listener, and the fuzzer still signed in
                        // (else the exclusions above miss a route that ends its session).
                        let status = try await Self.get(port, "/core/status/")
                        #expect(status.contains("\"database\":\"ok\""), "after schemathesis \(run) as \(who): \(status)")
                        let version = try await Self.get(port, "/core/version/", token: token)
                        #expect(version == "\"\(GarrisonVersion.build)\"", "the \(who)'s token after schemathesis \(run): \(version)")
                    }
                }
            }
        }
    }

    static func get(_ port: Int, _ path: String, token: String? = nil) async throws -> String {
        let auth = token.map { ["-H", "Authorization: Token \($0)"] } ?? []
        return try await offCooperativePool {
            try Subprocess.run("/usr/bin/curl", ["-sS", "--max-time", "10"] + auth + ["http://127.0.0.1:\(port)\(path)"]).output
        }
    }

    /// Two runs per caller: the published schema's boundary cases (coverage), then random
    /// requests whose bodies carry the handlers' real field names (fuzzing, with the hooks in
    /// Tests/Fixtures/SchemaFuzz; their many optional fields would make coverage far too slow).
    enum Run: String, CustomStringConvertible {
        case coverage = "examples,coverage"
        case fuzzing
        var description: String { self == .coverage ? "coverage" : "fuzzing" }
    }

    /// One schemathesis run, under a hard deadline (`timeout` kills it and exits 124).
    static func schemathesis(_ run: Run, port: Int, token: String) throws -> ProcessOutput {
        guard let timeout = Subprocess.which("timeout"), let python = Subprocess.which("python3") else {
            throw TestFailure("timeout or python3 not found")
        }
        // Generous for the CI count (a run takes seconds); scaled for a release run.
        let deadline = String(max(180, examples * 15))
        var arguments = [
            "-k", "10", deadline, python, "-m", "schemathesis.cli", "run", "http://127.0.0.1:\(port)/api/schema/",
            "--header", "Authorization: Token \(token)",
            "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--phases", run.rawValue, "--max-examples", String(examples), "--seed", seed,
            // A request unanswered this long counts as a hang and fails the run.
            "--request-timeout", "20", "--workers", "2",
            "--generation-database", "none", "--no-color", "--warnings", "off",
        ]
        for (operation, _) in excluded { arguments += ["--exclude-name", operation] }
        var environment = ProcessInfo.processInfo.environment
        // Hypothesis' caches go to a temporary folder, never into the working tree.
        environment["HYPOTHESIS_STORAGE_DIRECTORY"] =
            FileManager.default.temporaryDirectory.appendingPathComponent("garrison-hypothesis").path
        if run == .fuzzing {
            environment["SCHEMATHESIS_HOOKS"] = PackagePaths.root.appendingPathComponent("Tests/Fixtures/SchemaFuzz/garrison_hooks.py").path
            environment["GARRISON_ROOT"] = PackagePaths.root.path
        }
        return try Subprocess.run(timeout, arguments, environment: environment)
    }

    static func tail(_ text: String) -> String {
        text.count > 20_000 ? "…" + String(text.suffix(20_000)) : text
    }
}
