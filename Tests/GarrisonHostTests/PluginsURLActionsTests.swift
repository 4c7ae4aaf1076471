import Foundation
import Testing
@testable import GarrisonHost

/// URL actions (Plugins/URLActions) with the checks and alerts plugins, loaded by a real host:
/// Tactical RMM's /core/urlaction/ routes, web actions resolved into links, REST test runs,
/// and alert templates' failure and resolved webhooks sent to a receiver on a free loopback
/// port (Tests/Fixtures/Webhook/webhook_server.py) that records every request.
@Suite struct PluginsURLActionsTests {
    final class Receiver: @unchecked Sendable {
        let port: Int
        let folder: URL
        private var process: Process?
        private var input: Pipe?

        init() throws {
            port = try PluginsAlertEmailTests.freePort()
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }

        func start() async throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Subprocess.which("python3") ?? "/usr/bin/python3")
            process.arguments = [
                PackagePaths.root.appendingPathComponent("Tests/Fixtures/Webhook/webhook_server.py").path, String(port), folder.path,
            ]
            let input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            self.process = process
            self.input = input
            let ready = try await offCooperativePool { () -> Bool in
                var seen = Data()
                while !String(decoding: seen, as: UTF8.self).contains("READY") {
                    let chunk = output.fileHandleForReading.availableData
                    if chunk.isEmpty { return false }
                    seen.append(chunk)
                }
                return true
            }
            guard ready else { throw TestFailure("the webhook receiver did not start") }
        }

        /// The next requests answer these statuses (unrecorded).
        func force(_ statuses: [Int]) throws {
            let temporary = folder.appendingPathComponent("force.tmp")
            try Data("[\(statuses.map(String.init).joined(separator: ","))]".utf8).write(to: temporary)
            guard rename(temporary.path, folder.appendingPathComponent("force").path) == 0 else { throw TestFailure("force: rename") }
        }

        /// The requests answered 200 so far: method, path, headers, body.
        func requests() throws -> [JSON] {
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
            return try files.map { try JSON.parse(try Data(contentsOf: folder.appendingPathComponent($0))) }
        }

        func stop() {
            try? input?.fileHandleForWriting.close()
            if let process, process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
            process = nil
        }

        deinit {
            stop()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    /// The alerts world with the URL actions plugin (retrying after 1 s, loopback only).
    static func with(_ body: @Sendable @escaping (PluginsAlertsTests.World) async throws -> Void) async throws {
        try await PluginsAlertsTests.with(
            extra: { folder in
                let copy = try folder.copyBuilt("libURLActionsPlugin.so")
                try folder.write(
                    "63-urlactions.toml",
                    """
                    library = "\(copy)"
                    enabled = true
                    required = true

                    [settings]
                    timeout_seconds = 5
                    backoff_seconds = 1
                    backoff_max_seconds = 2
                    send_sweep_seconds = 1
                    allowed_hosts = "127.0.0.1"

                    """)
            }, body)
    }

    static func add(_ w: PluginsAlertsTests.World, _ fields: [String: JSON]) async throws -> Int {
        let reply = try await w.host.request(.post, "/core/urlaction/", as: .token(w.admin), json: .object(fields))
        guard reply.status == 200, reply.json == "ok" else { throw TestFailure("add url action: \(reply.status) \(reply.text)") }
        return try await w.pool.query("SELECT max(id) AS id FROM plugin_urlaction.url_actions").first!.int("id")
    }

    @Test func urlActions_crudRefusalsWebRunAndRestTest() async throws {
        let receiver = try Receiver()
        try await receiver.start()
        try await Self.with { w in
            let web = try await Self.add(
                w, ["name": "Open in CMDB", "desc": "cmdb", "pattern": "https://cmdb.example.com/find?host={{agent.hostname}}&c={{client.name}} x"])
            let list = try await w.host.request(.get, "/core/urlaction/", as: .token(w.admin))
            let row = try #require(list.json.arrayValue?.first { $0["id"]?.intValue == web }, "\(list.text)")
            #expect(row["action_type"] == "web" && row["rest_method"] == "post" && row["rest_body"] == "" && row["desc"] == "cmdb")
            #expect(row["created_by"]?.stringValue?.isEmpty == false && row["created_time"]?.stringValue?.hasSuffix("Z") == true)

            // The web action's link for an agent: variables replaced, then percent-encoded.
            let run = try await w.host.request(
                .patch, "/core/urlaction/run/", as: .token(w.admin), json: ["action": .init(web), "agent_id": .string(w.agentID)])
            #expect(run.status == 200 && run.json == "https://cmdb.example.com/find?host=web-1&c=Alerts%20Co%20x", "\(run.text)")
            let bad = try await w.host.request(.patch, "/core/urlaction/run/", as: .token(w.admin), json: ["action": .init(web)])
            #expect(bad.status == 400 && bad.json["detail"] == "received an incorrect request", "\(bad.text)")
            let missing = try await w.host.request(
                .patch, "/core/urlaction/run/", as: .token(w.admin), json: ["action": 999_999, "client": .init(w.client)])
            #expect(missing.status == 404 && missing.json["detail"] == "No URLAction matches the given query.")

            let put = try await w.host.request(.put, "/core/urlaction/\(web)/", as: .token(w.admin), json: ["name": "CMDB"])
            #expect(put.status == 200 && put.json == "ok")
            for (body, needle) in [
                (["name": "x", "pattern": "ftp://example.com/", "action_type": "rest"] as JSON, "pattern"),
                (["name": "x", "pattern": "http://127.0.0.1/", "action_type": "rest", "rest_body": "{\"a\": "], "rest_body"),
                (["name": "x", "pattern": "http://127.0.0.1/", "action_type": "rest", "rest_headers": "[1]"], "rest_headers"),
                (["name": "x", "pattern": "http://127.0.0.1/", "rest_method": "head"], "rest_method"),
                (["name": "x", "pattern": "http://127.0.0.1/", "colour": "red"], "colour"),
                (["pattern": "http://127.0.0.1/"], "name"),
            ] {
                let reply = try await w.host.request(.post, "/core/urlaction/", as: .token(w.admin), json: body)
                #expect(reply.status == 400 && reply.json["detail"]?.stringValue?.contains(needle) == true, "\(body): \(reply.text)")
            }

            // A REST test: really sent, variables of the agent, the answer's text returned.
            let test = try await w.host.request(
                .post, "/core/urlaction/run/test/", as: .token(w.admin),
                json: [
                    "pattern": .string("http://127.0.0.1:\(receiver.port)/hook/{{agent.hostname}}"),
                    "rest_body": "{\"text\": \"{{agent.hostname}} at {{site.name}}\", \"path\": \"C:\\Temp\"}",
                    "rest_headers": "{\"Content-Type\": \"application/json\", \"X-Client\": \"{{client.name}}\"}",
                    "rest_method": "post", "run_instance_type": "agent", "run_instance_id": .string(w.agentID),
                ])
            #expect(test.status == 200 && test.json["result"] == "received 0", "\(test.text)")
            #expect(test.json["url"]?.stringValue == "http://127.0.0.1:\(receiver.port)/hook/web-1")
            let got = try #require(try receiver.requests().first)
            #expect(got["method"] == "POST" && got["path"] == "/hook/web-1")
            #expect(got["headers"]?["x-client"] == "Alerts Co" && got["headers"]?["content-type"] == "application/json", "\(got)")
            let sent = try JSON.parse(Data((got["body"]?.stringValue ?? "").utf8))
            #expect(sent["text"] == "web-1 at HQ" && sent["path"] == "C:\\Temp", "\(got)")
            // Not JSON after substitution, and a URL that is not http(s): 400 naming the field.
            let notJSON = try await w.host.request(
                .post, "/core/urlaction/run/test/", as: .token(w.admin),
                json: [
                    "pattern": .string("http://127.0.0.1:\(receiver.port)/"), "rest_body": "{\"h\": {{agent.hostname}}}", "rest_headers": "{}",
                    "rest_method": "post", "run_instance_type": "agent", "run_instance_id": .string(w.agentID),
                ])
            #expect(notJSON.status == 400 && notJSON.json["detail"]?.stringValue?.contains("rest_body") == true, "\(notJSON.text)")
            let notHTTP = try await w.host.request(
                .post, "/core/urlaction/run/test/", as: .token(w.admin),
                json: [
                    "pattern": "file:///etc/passwd", "rest_body": "{}", "rest_headers": "{}", "rest_method": "get",
                    "run_instance_type": "none", "run_instance_id": .null,
                ])
            #expect(notHTTP.status == 400 && notHTTP.json["detail"]?.stringValue?.contains("pattern") == true, "\(notHTTP.text)")
            #expect(try receiver.requests().count == 1)

            let delete = try await w.host.request(.delete, "/core/urlaction/\(web)/", as: .token(w.admin))
            #expect(delete.status == 200 && delete.json == "ok")
            let gone = try await w.host.request(.delete, "/core/urlaction/\(web)/", as: .token(w.admin))
            #expect(gone.status == 404 && gone.json["detail"] == "No URLAction matches the given query.")
        }
    }

    /// A template's failure and resolved URL actions: the failure webhook is retried past a
    /// 503 and delivered once, with the alert's variables; its answer is the alert's
    /// action_stdout / action_retcode; recovery runs the resolved one into resolved_action_*.
    @Test func templateWebhooks_retriedDeliveredOnce_resultOnTheAlert() async throws {
        let receiver = try Receiver()
        try await receiver.start()
        try receiver.force([503])
        try await Self.with { w in
            let hook = try await Self.add(
                w,
                [
                    "name": "chat", "action_type": "rest", "rest_method": "post",
                    "pattern": .string("http://127.0.0.1:\(receiver.port)/alerts/{{alert.severity}}"),
                    "rest_body": "{\"text\": \"{{alert.message}}\", \"host\": \"{{agent.hostname}}\", \"client\": \"{{client.name}}\", \"missing\": \"{{alert.get_result.stdout}}\"}",
                    "rest_headers": "{\"Content-Type\": \"application/json\"}",
                ])
            let template = try await PluginsAlertTemplatesTests.template(
                w,
                [
                    "check_always_alert": true, "action_type": "rest", "action_rest": .init(hook), "resolved_action_type": "rest",
                    "resolved_action_rest": .init(hook),
                ])
            try await PluginsAlertTemplatesTests.assign(w, ["default": .init(template)])
            let check = try await w.check(["check_type": "ping", "name": "gateway", "ip": "10.0.0.1", "fails_b4_alert": 1, "alert_severity": "error"])
            try await w.submit(check, failing: true)
            #expect(try await w.host.eventually(20) { try await w.alerts(check: check).first?["action_retcode"] == 200 })
            let requests = try receiver.requests()
            #expect(requests.count == 1, "\(requests)")
            let first = try #require(requests.first)
            #expect(first["path"] == "/alerts/error" && first["headers"]?["idempotency-key"]?.stringValue?.hasPrefix("garrison-alert-notification-") == true)
            let body = try JSON.parse(Data((first["body"]?.stringValue ?? "").utf8))
            #expect(body["text"] == "web-1 has a ping check: Ping gateway that failed." && body["host"] == "web-1", "\(first)")
            #expect(body["client"] == "Alerts Co" && body["missing"] == "None", "\(first)")
            let alert = try #require(try await w.alerts(check: check).first)
            #expect(alert["action_stdout"] == "received 0" && alert["action_stderr"] == "" && alert["action_run"]?.stringValue != nil, "\(alert)")
            let attempts = try await w.pool.query("SELECT ok, status FROM plugin_urlaction.attempts ORDER BY id").rows
            #expect(attempts.map { $0.int("status") } == [503, 200])
            let webhook = ["channel": "webhook"]
            #expect(try await PrometheusText.value(w.host, token: w.admin, "garrison_plugin_urlaction_notifications_sent_total", webhook) == 1)
            #expect(try await PrometheusText.value(w.host, token: w.admin, "garrison_plugin_urlaction_notifications_retried_total", webhook) == 1)
            #expect(try await PrometheusText.value(w.host, token: w.admin, "garrison_plugin_urlaction_notifications_failed_total", webhook) == 0)

            // Further failures and a repeated alert.notify run nothing again.
            try await w.submit(check, failing: true)
            let notice = try #require(w.events.named("alert.notify").first { $0["channel"] == "webhook" })
            w.host.server.context.events.publish("alert.notify", notice.objectValue ?? [:])

            // Recovery: the resolved action.
            try await w.submit(check, failing: false)
            #expect(try await w.host.eventually(20) { try await w.alerts(check: check).first?["resolved_action_retcode"] == 200 })
            #expect(try receiver.requests().count == 2)
            #expect(try await w.alerts(check: check).first?["resolved_action_stdout"] == "received 1")
            #expect(try await w.pool.query("SELECT count(*) AS n FROM plugin_urlaction.deliveries").first!.int("n") == 2)
        }
    }
}
