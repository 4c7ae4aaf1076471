import Foundation
import Testing
import TwoFactorCore
@testable import GarrisonHost

/// `garrison serve` exactly as scripts/run.sh starts it: from the checkout, with no
/// configuration, so the repository's plugins.d and the libraries built next to the binary
/// are what load. Every shipped plugin runs, two-factor is required (the first sign-in
/// enrolls), its key is made in the data folder with mode 0600, and an enrolled agent finds
/// the check routes it polls.
@Suite(.serialized) struct DefaultRunTests {
    @Test func theDefaultRunServesEveryShippedPlugin() async throws {
        let folder = try CrashRestartTests.temporaryFolder("default")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("data")
        let port = FreePort.find()
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GARRISON_") }
        // Only where and on which port: run.sh sets nothing else (its data folder may move).
        environment["GARRISON_DATA_DIR"] = data.path
        environment["GARRISON_SERVER_HOST"] = "127.0.0.1"
        environment["GARRISON_SERVER_PORT"] = String(port)
        let pid = try ChildProcess.spawn(
            "/bin/sh", ["-c", "cd \"$0\" && exec \"$1\" serve", PackagePaths.root.path, PackagePaths.garrison.path],
            logFile: folder.appendingPathComponent("serve.log"), environment: environment)
        let exit = ChildExit()
        ChildProcess.watch(pid) { exit.exited($0) }
        defer {
            kill(pid, SIGTERM)
            if !exit.wait(timeout: 60) { kill(pid, SIGKILL) }
        }
        let http = HTTP(base: "https://127.0.0.1:\(port)")
        do {
            try await eventually("GET /core/status/ to answer 200", timeout: .seconds(90)) {
                try await http.call("GET", "/core/status/", maxTime: 5).status == 200
            }
        } catch {
            throw TestFailure(
                "\(error); serve's log:\n\((try? String(contentsOf: folder.appendingPathComponent("serve.log"), encoding: .utf8)) ?? "")")
        }

        // The two-factor key, made on first start, readable by its owner only.
        var info = stat()
        #expect(stat(data.appendingPathComponent("2fa.key").path, &info) == 0, "no 2fa.key in the data folder")
        #expect(info.st_mode & 0o777 == 0o600)

        // The first sign-in gets only a token to enroll with; enrolled, the next one is full.
        let password = try String(contentsOf: data.appendingPathComponent("initial-admin-password"), encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        let first = try await http.call("POST", "/v2/login/", json: ["username": "admin", "password": .string(password)])
        #expect(first.json["scope"] == "2fa-enroll", "\(first.text)")
        let limited = try #require(first.json["token"]?.stringValue, "\(first.text)")
        #expect(try await http.call("GET", "/core/plugins/", token: limited).status == 403)
        let setup = try await http.call("POST", "/accounts/users/setup_totp/", token: limited)
        let secret = try #require(Base32.decode(setup.json["secret"]?.stringValue ?? ""), "\(setup.text)")
        // The confirm uses the previous step's code (the login takes this step's, and a code
        // is good once): taken in a step's last seconds, the host may already be two steps on.
        try await PluginsTwoFactorTests.awayFromStepBoundary()
        let now = Int64(Date().timeIntervalSince1970)
        let confirmed = try await http.call(
            "POST", "/accounts/users/confirm_totp/", token: limited, json: ["code": .string(TOTP(secret: secret).code(at: now - 30))])
        #expect(confirmed.status == 200, "\(confirmed.text)")
        let full = try await http.call(
            "POST", "/v2/login/",
            json: ["username": "admin", "password": .string(password), "twofactor": .string(TOTP(secret: secret).code(at: now))])
        let admin = try #require(full.json["token"]?.stringValue, "\(full.text)")
        #expect(full.json["scope"] == nil)

        let plugins = try await http.call("GET", "/core/plugins/", token: admin)
        let states = Dictionary(
            uniqueKeysWithValues: (plugins.json.arrayValue ?? []).compactMap { entry -> (String, String)? in
                guard let name = entry["name"]?.stringValue else { return nil }
                return (name, entry["state"]?.stringValue ?? "")
            })
        #expect(
            states == [
                "twofactor": "running", "check": "running", "scripting": "running", "alert": "running", "alert_email": "running",
                "alert_sms": "running", "urlaction": "running", "agent_actions": "running", "winupdate": "running", "meshcentral": "running",
                "software": "running",
            ],
            "\(plugins.text)")

        // A first agent enrolls and polls the routes the Checks plugin serves.
        let created = try await http.call("POST", "/clients/", token: admin, json: ["client": ["name": "First"], "site": ["name": "HQ"]])
        #expect(created.status == 200, "\(created.text)")
        let clients = try await http.call("GET", "/clients/", token: admin)
        let site = try #require(clients.json.arrayValue?.first?["sites"]?.arrayValue?.first?["id"]?.intValue, "\(clients.text)")
        let agentID = BusTests.agentID()
        let enrolled = try await http.call("POST", "/api/v3/newagent/", token: admin, json: AgentAPITests.enrollBody(agentID, site: site))
        let token = try #require(enrolled.json["token"]?.stringValue, "\(enrolled.text)")
        let runner = try await http.call("GET", "/api/v3/\(agentID)/checkrunner/", token: token)
        #expect(runner.status == 200, "\(runner.text)")
        #expect(runner.json["checks"] != nil, "\(runner.text)")
    }
}
