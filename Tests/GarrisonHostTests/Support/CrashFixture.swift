import Foundation
import NIOConcurrencyHelpers
@testable import GarrisonHost

/// `garrison serve` as a separate process with the Checks plugin, a client and site, and
/// agents that each have a script check: the setting of the crash tests (ChildCrashTests,
/// HostCrashTests), which kill parts of it while results flow.
struct CrashFixture {
    let folder: URL
    let host: ServeProcess
    let http: HTTP
    let natsPort: Int
    var data: URL { folder.appendingPathComponent("data") }

    struct Agent: Sendable {
        let id: String
        let token: String
        let check: Int
    }

    /// The folder: plugins.d with the Checks and agent_actions plugins (libraries copied beside)
    /// and a config fixing the private nats-server's client port, so that agents reconnect
    /// to the same address after a restart.
    static func make(_ name: String) throws -> (CrashFixture, cleanUp: () -> Void) {
        let folder = try CrashRestartTests.temporaryFolder(name)
        let plugins = try PluginsChecksTests.folder()
        let pluginsD = folder.appendingPathComponent("plugins.d")
        try FileManager.default.createDirectory(at: pluginsD, withIntermediateDirectories: true)
        chmod(pluginsD.path, 0o755)
        // Ping, which the tests use to see agents back, is served by agent_actions.
        let actions = try PluginFolder.agentActions()
        for (source, file) in [(plugins, "40-checks.toml"), (actions, "45-agent-actions.toml")] {
            let toml = pluginsD.appendingPathComponent(file)
            try FileManager.default.copyItem(at: source.url.appendingPathComponent(file), to: toml)
            chmod(toml.path, 0o644)
        }
        let natsPort = FreePort.find()
        try "[nats]\nport = \(natsPort)\n".write(to: folder.appendingPathComponent("garrison.toml"), atomically: true, encoding: .utf8)
        let port = FreePort.find()
        let fixture = CrashFixture(
            folder: folder, host: ServeProcess(folder: folder, port: port),
            http: HTTP(base: "http://127.0.0.1:\(port)"), natsPort: natsPort)
        return (
            fixture,
            {
                plugins.cleanUp()
                actions.cleanUp()
                try? FileManager.default.removeItem(at: folder)
            }
        )
    }

    /// Signs in as the initial admin and enrolls `count` agents into a new site, each with
    /// one script check.
    func enroll(_ count: Int) async throws -> (admin: String, agents: [Agent]) {
        let password = try String(contentsOf: data.appendingPathComponent("initial-admin-password"), encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        let login = try await http.call("POST", "/v2/login/", json: ["username": "admin", "password": .string(password)])
        guard let admin = login.json["token"]?.stringValue else { throw TestFailure("login: \(login.text)") }
        let created = try await http.call(
            "POST", "/clients/", token: admin, json: ["client": ["name": "Crash Co"], "site": ["name": "HQ"]])
        guard created.status == 200 else { throw TestFailure("client: \(created.text)") }
        let clients = try await http.call("GET", "/clients/", token: admin)
        guard let site = clients.json.arrayValue?.first?["sites"]?.arrayValue?.first?["id"]?.intValue else {
            throw TestFailure("sites: \(clients.text)")
        }
        var agents: [Agent] = []
        for _ in 0..<count {
            let agentID = BusTests.agentID()
            let enrolled = try await http.call(
                "POST", "/api/v3/newagent/", token: admin, json: AgentAPITests.enrollBody(agentID, site: site))
            guard let token = enrolled.json["token"]?.stringValue else { throw TestFailure("enroll: \(enrolled.text)") }
            let check = try await http.call(
                "POST", "/checks/", token: admin,
                json: [
                    "agent": .string(agentID), "check_type": "script", "fails_b4_alert": 3, "timeout": 30,
                    "script": ["name": "probe", "code": "#!/bin/sh\nexit 0", "shell": "shell"],
                ])
            guard check.status == 200 else { throw TestFailure("check: \(check.text)") }
            let list = try await http.call("GET", "/agents/\(agentID)/checks/", token: admin)
            guard let checkID = list.json.arrayValue?.first?["id"]?.intValue else { throw TestFailure("checks: \(list.text)") }
            agents.append(Agent(id: agentID, token: token, check: checkID))
        }
        return (admin, agents)
    }

    /// Each agent posts script results one after another, each with its own stdout marker,
    /// until `running` is false; `log` keeps what was answered 200 and how many were not.
    func sendResults(_ agents: [Agent], log: ResultLog, running: NIOLockedValueBox<Bool>) -> Task<Void, any Error> {
        let http = self.http
        return Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for agent in agents {
                    group.addTask {
                        var n = 0
                        while running.withLockedValue({ $0 }) {
                            n += 1
                            let marker = "\(agent.check)-\(n)"
                            let reply = try await http.call(
                                "PATCH", "/api/v3/checkrunner/", token: agent.token,
                                json: [
                                    "id": .init(agent.check), "agent_id": .string(agent.id),
                                    "stdout": .string(marker), "stderr": "", "retcode": 0, "runtime": 0.1,
                                ], maxTime: 5)
                            log.record(marker, ok: reply.status == 200)
                            try await Task.sleep(for: .milliseconds(reply.status == 200 ? 20 : 100))
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    /// The stdout markers of every chart point in the Checks plugin's history, read with psql
    /// on the private cluster's socket (the cluster must be running).
    func storedMarkers() throws -> [String] {
        try psql("SELECT results->>'stdout' FROM plugin_check.history")
    }

    /// One query's rows (psql -At: columns joined by '|'), on the private cluster's socket.
    func psql(_ sql: String) throws -> [String] {
        let root = data.appendingPathComponent("postgres")
        let cluster = EmbeddedPostgres(root: root, logger: CrashRestartTests.logger)
        let run = root.appendingPathComponent("run")
        guard
            let socket = try FileManager.default.contentsOfDirectory(atPath: run.path).first(where: {
                $0.hasPrefix(".s.PGSQL.") && !$0.hasSuffix(".lock")
            })
        else {
            throw TestFailure("no PostgreSQL socket in \(run.path)")
        }
        let port = String(socket.dropFirst(".s.PGSQL.".count))
        let password = try String(contentsOf: cluster.passwordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSWORD"] = password
        guard let psql = Subprocess.which("psql") else { throw TestFailure("psql not found") }
        let result = try Subprocess.run(
            psql,
            [
                "-h", run.path, "-p", port, "-U", "garrison", "-d", "garrison", "-At", "-c", sql,
            ], environment: environment)
        guard result.status == 0 else { throw TestFailure("psql: \(result.output)") }
        return result.output.split(separator: "\n").map(String.init)
    }
}

/// What the emulated agents were answered.
final class ResultLog: Sendable {
    private let state = NIOLockedValueBox<(ok: [(String, ContinuousClock.Instant)], refused: Int)>(([], 0))

    func record(_ marker: String, ok: Bool) {
        let now = ContinuousClock.now
        state.withLockedValue { if ok { $0.ok.append((marker, now)) } else { $0.refused += 1 } }
    }

    var acknowledged: [String] { state.withLockedValue { $0.ok.map(\.0) } }
    var refused: Int { state.withLockedValue { $0.refused } }

    /// The first result answered 200 after `instant`: when it was answered.
    func firstAcknowledged(after instant: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        state.withLockedValue { $0.ok.first { $0.1 > instant }?.1 }
    }

    func awaitAcknowledged(after instant: ContinuousClock.Instant, _ what: String, timeout: Duration) async throws {
        try await eventually(what, timeout: timeout) { self.firstAcknowledged(after: instant) != nil }
    }
}

/// HTTP calls to a `garrison serve` process, through curl (status 0: no answer). HTTPS
/// accepts the host's self-signed certificate.
struct HTTP: Sendable {
    let base: String

    struct Reply: Sendable {
        let status: Int
        let json: JSON
        let text: String
    }

    func call(_ method: String, _ path: String, token: String? = nil, json: JSON? = nil, maxTime: Int = 15) async throws -> Reply {
        var arguments = ["-s", "-k", "-X", method, "--max-time", String(maxTime), "-w", "\n%{http_code}"]
        if let token { arguments += ["-H", "Authorization: Token \(token)"] }
        if let json {
            arguments += ["-H", "Content-Type: application/json", "--data-binary", String(decoding: json.serialized(), as: UTF8.self)]
        }
        arguments.append(base + path)
        let command = arguments
        let output = try await offCooperativePool { try Subprocess.run("/usr/bin/curl", command).output }
        let split = output.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(split.last ?? "") ?? 0
        let text = split.dropLast().joined(separator: "\n")
        return Reply(status: status, json: (try? JSON.parse(Data(text.utf8))) ?? .null, text: text)
    }
}
