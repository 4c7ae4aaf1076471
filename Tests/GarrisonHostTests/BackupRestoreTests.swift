import Foundation
import Logging
import Testing
import TwoFactorCore
@testable import GarrisonHost

/// `garrison backup` and `garrison restore` with the real binary: a server with the shipped
/// plugins (checks, scripting, two-factor required) is backed up while it runs, restored
/// into a new data folder (or a new external database), and the restored server signs in
/// the same users with the same TOTP secrets, knows the same agents, takes their old tokens
/// on the agent routes and on NATS, and still has their checks, results and scripts. Bad
/// input is refused by name and changes nothing.
@Suite(.serialized) struct BackupRestoreTests {
    static let logger = Logger(label: "backup-test")

    // MARK: embedded cluster

    @Test func aRestoredDataFolderIsTheSameServer() async throws {
        let libraries = try Self.pluginLibraries()
        defer { libraries.cleanUp() }
        let original = try Site.make("bk-orig", libraries: libraries)
        defer { original.cleanUp() }
        let key = Data(Crypto.randomBytes(32)).base64EncodedString() + "\n"
        try FileManager.default.createDirectory(at: original.data, withIntermediateDirectories: true)
        try SecretFile.write(key, to: original.data.appendingPathComponent("2fa.key"))
        // The test servers speak plain HTTP, which makes no certificate: the one HTTPS would use.
        _ = try SelfSignedCertificate.ensure(in: original.data, hostnames: ["localhost"])

        let first = try original.host.start()
        var stopped = false
        defer { if !stopped { original.host.stop(first) } }
        try await original.host.awaitStatus200(timeout: .seconds(90))
        let world = try await World.build(on: original, agents: 3)

        // Backed up while the server runs.
        let backup = original.folder.appendingPathComponent("site.garrison")
        let made = try await original.garrison(["backup", backup.path])
        #expect(made.status == 0, "\(made.output)")
        #expect(Self.mode(backup) == 0o600)
        original.host.stop(first)
        stopped = true

        let restored = try Site.make("bk-rest", libraries: libraries)
        defer { restored.cleanUp() }
        let done = try await restored.garrison(["restore", backup.path])
        #expect(done.status == 0, "\(done.output)")
        for name in ["2fa.key", "tls/key.pem", "tls/cert.pem"] {
            let copy = restored.data.appendingPathComponent(name)
            #expect(try Data(contentsOf: copy) == Data(contentsOf: original.data.appendingPathComponent(name)), "\(name)")
            #expect(Self.mode(copy) == 0o600, "\(name)")
        }
        let second = try restored.host.start()
        defer { restored.host.stop(second) }
        try await restored.host.awaitStatus200(timeout: .seconds(90))
        try await world.expectSame(on: restored)
    }

    /// A file that is not a backup, a damaged one, and one from a newer garrison, format or
    /// schema are refused before anything is written; so is a data folder that is not empty.
    @Test func badInputIsRefusedAndChangesNothing() async throws {
        let site = try Site.make("bk-bad", libraries: nil)
        defer { site.cleanUp() }

        let text = site.folder.appendingPathComponent("notes.txt")
        try "not a backup\n".write(to: text, atomically: true, encoding: .utf8)
        let notBackup = try await site.garrison(["restore", text.path])
        #expect(notBackup.status != 0)
        #expect(notBackup.output.contains("is not a garrison backup"), "\(notBackup.output)")
        #expect(!FileManager.default.fileExists(atPath: site.data.path), "nothing is created")

        // Manifests from the future, each in an otherwise well-formed file.
        let dump = Array("PGDMP fake".utf8)
        var manifest = BackupManifest(
            format: 1, garrisonVersion: GarrisonVersion.string, createdAt: "2030-01-01T00:00:00Z", hostRole: "garrison_owner",
            serverVersion: "15", migrations: ["core": 1], schemas: [], entries: [])
        let cases: [(String, (inout BackupManifest) -> Void, String)] = [
            ("format", { $0.format = BackupManifest.currentFormat + 1 }, "is format \(BackupManifest.currentFormat + 1)"),
            ("version", { $0.garrisonVersion = "99.0.0" }, "made by garrison 99.0.0, newer than this garrison"),
            ("schema", { $0.migrations["core"] = 100_000 }, "core migration 100000, newer than this garrison's"),
        ]
        for (name, change, message) in cases {
            var future = manifest
            change(&future)
            let file = try Self.archive(future, dump: dump, in: site.folder, name: name)
            let refused = try await site.garrison(["restore", file.path])
            #expect(refused.status != 0 && refused.output.contains(message), "\(name): \(refused.output)")
            #expect(!FileManager.default.fileExists(atPath: site.data.path), "\(name): nothing is created")
        }

        // Damaged: cut short, and one byte of the dump changed (found only while copying it
        // out, after the checks: what was written is removed again).
        manifest.migrations["core"] = 1
        let good = try Self.archive(manifest, dump: dump, in: site.folder, name: "good")
        let bytes = try Data(contentsOf: good)
        let short = site.folder.appendingPathComponent("short.garrison")
        try bytes.dropLast(3).write(to: short)
        let cut = try await site.garrison(["restore", short.path])
        #expect(cut.status != 0 && cut.output.contains("is damaged"), "\(cut.output)")
        var flipped = bytes
        flipped[flipped.count - 2] ^= 0xFF
        let bad = site.folder.appendingPathComponent("flipped.garrison")
        try flipped.write(to: bad)
        let mismatch = try await site.garrison(["restore", bad.path])
        #expect(mismatch.status != 0 && mismatch.output.contains("does not match its SHA-256"), "\(mismatch.output)")
        #expect(!FileManager.default.fileExists(atPath: site.data.path), "nothing is left behind")

        // A data folder with anything in it.
        try FileManager.default.createDirectory(at: site.data, withIntermediateDirectories: true)
        let kept = site.data.appendingPathComponent("keep.txt")
        try "mine\n".write(to: kept, atomically: true, encoding: .utf8)
        let occupied = try await site.garrison(["restore", good.path])
        #expect(occupied.status != 0 && occupied.output.contains("is not empty (it holds keep.txt)"), "\(occupied.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: site.data.path) == ["keep.txt"])
        #expect(try String(contentsOf: kept, encoding: .utf8) == "mine\n")

        // And a backup never replaces a file.
        let exists = try await site.garrison(["backup", kept.path])
        #expect(exists.status != 0 && exists.output.contains("already exists"), "\(exists.output)")
        #expect(try String(contentsOf: kept, encoding: .utf8) == "mine\n")
    }

    // MARK: external database

    @Test func anExternalDatabaseIsRestoredIntoANewOne() async throws {
        let libraries = try Self.pluginLibraries(twoFactor: false)
        defer { libraries.cleanUp() }
        let source = try await TestCluster.shared.createDatabase()
        let original = try Site.make("bk-ext1", libraries: libraries, databaseURL: source)
        defer { original.cleanUp() }
        let first = try original.host.start()
        var stopped = false
        defer { if !stopped { original.host.stop(first) } }
        try await original.host.awaitStatus200(timeout: .seconds(90))
        let world = try await World.build(on: original, agents: 2)
        let backup = original.folder.appendingPathComponent("ext.garrison")
        let made = try await original.garrison(["backup", backup.path])
        #expect(made.status == 0, "\(made.output)")
        original.host.stop(first)
        stopped = true

        let target = try await TestCluster.shared.createDatabase()
        let restored = try Site.make("bk-ext2", libraries: libraries, databaseURL: target)
        defer { restored.cleanUp() }
        let done = try await restored.garrison(["restore", backup.path])
        #expect(done.status == 0, "\(done.output)")

        // The same database again: not empty, refused, and untouched.
        let again = try Site.make("bk-ext3", libraries: libraries, databaseURL: target)
        defer { again.cleanUp() }
        let connection = try PGConnection(conninfo: target)
        let before = try connection.query("SELECT count(*)::int AS n FROM agents").first?.int("n")
        let refused = try await again.garrison(["restore", backup.path])
        #expect(refused.status != 0 && refused.output.contains("is not empty"), "\(refused.output)")
        #expect(try connection.query("SELECT count(*)::int AS n FROM agents").first?.int("n") == before)

        let second = try restored.host.start()
        defer { restored.host.stop(second) }
        try await restored.host.awaitStatus200(timeout: .seconds(90))
        try await world.expectSame(on: restored)
    }

    // MARK: helpers

    static func mode(_ url: URL) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// A backup file around `dump`, as BackupArchive writes one.
    static func archive(_ manifest: BackupManifest, dump: [UInt8], in folder: URL, name: String) throws -> URL {
        let source = folder.appendingPathComponent("\(name).dump")
        try Data(dump).write(to: source)
        let file = folder.appendingPathComponent("\(name).garrison")
        try BackupArchive.write(to: file, manifest: manifest, files: [(BackupArchive.databaseEntry, source)])
        return file
    }

    /// The shipped plugins' libraries, copied once for the servers of a test.
    static func pluginLibraries(twoFactor: Bool = true) throws -> PluginLibraries {
        let folder = try PluginFolder()
        let built = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        var names = ["libChecksPlugin.so", "libScriptingPlugin.so"]
        if twoFactor { names.append("libTwoFactorPlugin.so") }
        for name in names {
            let source = built.appendingPathComponent(name)
            try #require(
                FileManager.default.fileExists(atPath: source.path), "build the plugin products first (swift build --build-tests): \(name)")
            let copy = folder.libraries.appendingPathComponent(name)
            try FileManager.default.copyItem(at: source, to: copy)
            chmod(copy.path, 0o755)
        }
        return PluginLibraries(folder: folder, twoFactor: twoFactor)
    }
}

struct PluginLibraries {
    let folder: PluginFolder
    let twoFactor: Bool
    func path(_ name: String) -> String { folder.libraries.appendingPathComponent(name).path }
    func cleanUp() { folder.cleanUp() }
}

/// One server's folder: its plugins.d (two-factor required, its key in this data folder),
/// garrison.toml (a fixed NATS port, and database.url when given) and data folder.
struct Site {
    let folder: URL
    let host: ServeProcess
    let http: HTTP
    let natsPort: Int
    var data: URL { folder.appendingPathComponent("data") }

    static func make(_ name: String, libraries: PluginLibraries?, databaseURL: String? = nil) throws -> Site {
        let folder = try CrashRestartTests.temporaryFolder(name)
        let pluginsD = folder.appendingPathComponent("plugins.d")
        try FileManager.default.createDirectory(at: pluginsD, withIntermediateDirectories: true)
        chmod(pluginsD.path, 0o755)
        if let libraries {
            var files = [
                ("40-checks.toml", "libChecksPlugin.so", "agent_cache_seconds = 0"),
                ("50-scripting.toml", "libScriptingPlugin.so", ""),
            ]
            if libraries.twoFactor {
                let key = folder.appendingPathComponent("data/2fa.key").path
                files.append(("10-twofactor.toml", "libTwoFactorPlugin.so", "required = true\nsecret_key_file = \"\(key)\""))
            }
            for (file, library, settings) in files {
                let toml = pluginsD.appendingPathComponent(file)
                try "library = \"\(libraries.path(library))\"\nenabled = true\nrequired = true\n\n[settings]\n\(settings)\n".write(
                    to: toml, atomically: true, encoding: .utf8)
                chmod(toml.path, 0o644)
            }
        }
        let natsPort = FreePort.find()
        var config = "[nats]\nport = \(natsPort)\n"
        if let databaseURL { config += "\n[database]\nurl = \"\(databaseURL)\"\n" }
        try config.write(to: folder.appendingPathComponent("garrison.toml"), atomically: true, encoding: .utf8)
        let port = FreePort.find()
        return Site(
            folder: folder, host: ServeProcess(folder: folder, port: port), http: HTTP(base: "http://127.0.0.1:\(port)"), natsPort: natsPort
        )
    }

    func cleanUp() { try? FileManager.default.removeItem(at: folder) }

    /// The garrison binary with this site's configuration, as ServeProcess runs it.
    func garrison(_ arguments: [String]) async throws -> ProcessOutput {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GARRISON_") }
        environment["GARRISON_CONFIG"] = folder.appendingPathComponent("garrison.toml").path
        environment["GARRISON_DATA_DIR"] = data.path
        environment["GARRISON_PLUGINS_DIR"] = folder.appendingPathComponent("plugins.d").path
        let command = arguments
        let settings = environment
        return try await offCooperativePool { try Subprocess.run(PackagePaths.garrison.path, command, environment: settings) }
    }
}

/// What a server holds before the backup, and the checks that a restored server holds it too.
struct World {
    struct Agent {
        let id: String
        let token: String
        let check: Int
        let marker: String
    }

    let password: String
    let totpSecret: [UInt8]?
    let agents: [Agent]
    let script: String

    static func build(on site: Site, agents count: Int) async throws -> World {
        let http = site.http
        let password = try String(contentsOf: site.data.appendingPathComponent("initial-admin-password"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var secret: [UInt8]?
        let admin: String
        if FileManager.default.fileExists(atPath: site.data.appendingPathComponent("2fa.key").path) {
            // Two-factor is required: the first sign-in enrolls.
            let first = try await http.call("POST", "/v2/checkcreds/", json: ["username": "admin", "password": .string(password)])
            let limited = try #require(first.json["token"]?.stringValue, "\(first.text)")
            #expect(first.json["scope"] == "2fa-enroll", "\(first.text)")
            let setup = try await http.call("POST", "/accounts/users/setup_totp/", token: limited)
            let enrolled = try #require(Base32.decode(setup.json["secret"]?.stringValue ?? ""), "\(setup.text)")
            let confirmed = try await http.call(
                "POST", "/accounts/users/confirm_totp/", token: limited,
                json: ["code": .string(PluginsTwoFactorTests.code(enrolled, -1))])
            #expect(confirmed.status == 200, "\(confirmed.text)")
            secret = enrolled
            admin = try await signIn(http, password: password, secret: enrolled)
        } else {
            admin = try await signIn(http, password: password, secret: nil)
        }
        let created = try await http.call(
            "POST", "/clients/", token: admin, json: ["client": ["name": "Backup Co"], "site": ["name": "HQ"]])
        #expect(created.status == 200, "\(created.text)")
        let clients = try await http.call("GET", "/clients/", token: admin)
        let site = try #require(clients.json.arrayValue?.first?["sites"]?.arrayValue?.first?["id"]?.intValue, "\(clients.text)")
        var agents: [Agent] = []
        for n in 0..<count {
            let agentID = BusTests.agentID()
            let enrolled = try await http.call(
                "POST", "/api/v3/newagent/", token: admin, json: AgentAPITests.enrollBody(agentID, site: site))
            let token = try #require(enrolled.json["token"]?.stringValue, "\(enrolled.text)")
            let check = try await http.call(
                "POST", "/checks/", token: admin,
                json: [
                    "agent": .string(agentID), "check_type": "script", "fails_b4_alert": 3, "timeout": 30,
                    "script": ["name": .string("probe-\(n)"), "code": "#!/bin/sh\nexit 0", "shell": "shell"],
                ])
            #expect(check.status == 200, "\(check.text)")
            let list = try await http.call("GET", "/agents/\(agentID)/checks/", token: admin)
            let checkID = try #require(list.json.arrayValue?.first?["id"]?.intValue, "\(list.text)")
            let marker = "before-backup-\(n)"
            let result = try await http.call(
                "PATCH", "/api/v3/checkrunner/", token: token,
                json: [
                    "id": .init(checkID), "agent_id": .string(agentID), "stdout": .string(marker), "stderr": "", "retcode": 0,
                    "runtime": 0.1,
                ])
            #expect(result.status == 200, "\(result.text)")
            agents.append(Agent(id: agentID, token: token, check: checkID, marker: marker))
        }
        let script = "library-script-\(Crypto.randomHex(bytes: 3))"
        let saved = try await http.call(
            "POST", "/scripts/", token: admin,
            json: [
                "name": .string(script), "shell": "shell", "code": "#!/bin/sh\necho hi", "category": "backup", "default_timeout": 30,
            ])
        #expect(saved.status == 200, "\(saved.text)")
        return World(password: password, totpSecret: secret, agents: agents, script: script)
    }

    /// `step`: the TOTP time step from now (a code once accepted is refused again: replay).
    static func signIn(_ http: HTTP, password: String, secret: [UInt8]?, step: Int64 = 0) async throws -> String {
        var body: [String: JSON] = ["username": "admin", "password": .string(password)]
        if let secret { body["twofactor"] = .string(PluginsTwoFactorTests.code(secret, step)) }
        let reply = try await http.call("POST", "/v2/login/", json: .object(body))
        let token = try #require(reply.json["token"]?.stringValue, "\(reply.text)")
        #expect(reply.json["scope"] == nil, "\(reply.text)")
        return token
    }

    /// The restored server: the admin signs in (with a code from the same TOTP secret when
    /// two-factor is on, and is refused without one), the agents are listed, their old
    /// tokens answer on the agent routes and log in to NATS, and the checks, their last
    /// results and the script library are there.
    func expectSame(on site: Site) async throws {
        let http = site.http
        if totpSecret != nil {
            let challenged = try await http.call("POST", "/v2/checkcreds/", json: ["username": "admin", "password": .string(password)])
            #expect(challenged.status == 200 && challenged.json["totp"] == true && challenged.json["token"] == nil, "\(challenged.text)")
            let noCode = try await http.call("POST", "/v2/login/", json: ["username": "admin", "password": .string(password)])
            #expect(noCode.json["token"] == nil, "\(noCode.text)")
        }
        let wrong = try await http.call("POST", "/v2/login/", json: ["username": "admin", "password": "not-the-password"])
        #expect(wrong.status != 200)
        // The next step's code (the window accepts it): the current one may be the code the
        // original server took last, which the restored server refuses as a replay.
        let admin = try await Self.signIn(http, password: password, secret: totpSecret, step: 1)
        if totpSecret != nil {
            let status = try await http.call("GET", "/accounts/users/totp_status/", token: admin)
            #expect(status.json["enrolled"] == true, "\(status.text)")
        }
        let listed = try await http.call("GET", "/agents/", token: admin)
        let ids = Set(listed.json.arrayValue?.compactMap { $0["agent_id"]?.stringValue } ?? [])
        #expect(ids == Set(agents.map(\.id)), "\(listed.text)")
        for agent in agents {
            let due = try await http.call("GET", "/api/v3/\(agent.id)/checkrunner/", token: agent.token)
            #expect(due.status == 200, "\(due.text)")
            let all = try await http.call("GET", "/api/v3/\(agent.id)/runchecks/", token: agent.token)
            #expect(all.json["checks"]?.arrayValue?.contains { $0["id"]?.intValue == agent.check } == true, "\(all.text)")
            let checks = try await http.call("GET", "/agents/\(agent.id)/checks/", token: admin)
            #expect(checks.text.contains(agent.marker), "the last result survives: \(checks.text)")
            let result = try await http.call(
                "PATCH", "/api/v3/checkrunner/", token: agent.token,
                json: [
                    "id": .init(agent.check), "agent_id": .string(agent.id), "stdout": "after-restore", "stderr": "", "retcode": 0,
                    "runtime": 0.1,
                ])
            #expect(result.status == 200, "the Checks plugin writes to its restored tables: \(result.text)")
            let refused = try await http.call(
                "GET", "/api/v3/\(agent.id)/checkrunner/", token: String(agent.token.dropLast()) + (agent.token.last == "a" ? "b" : "a"))
            #expect(refused.status == 401 || refused.status == 403, "\(refused.text)")
        }
        let first = try #require(agents.first)
        let nats = try await offCooperativePool {
            try Python.agent("nats://127.0.0.1:\(site.natsPort)", user: first.id, password: first.token, ["sub", first.id])
        }
        #expect(nats.status == 0 && nats.lines.contains("sub \(first.id) ok"), "the agent's token logs in to NATS: \(nats.lines)")
        let scripts = try await http.call("GET", "/scripts/", token: admin)
        #expect(scripts.text.contains(script), "\(scripts.text)")
    }
}
