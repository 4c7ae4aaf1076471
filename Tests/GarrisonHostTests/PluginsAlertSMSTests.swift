import Foundation
import Testing
@testable import GarrisonHost

/// The SMS channel (Plugins/AlertSMS) with the checks and alerts plugins, loaded by a real
/// host, sending to a Twilio stand-in (Tests/Fixtures/Twilio/twilio_server.py) on a free
/// loopback port that follows Twilio's Messages API: the account's path, Basic auth, form
/// fields To/From/Body, 201 with the message resource, and Twilio's error answers.
@Suite struct PluginsAlertSMSTests {
    static let sid = "AC" + String(repeating: "a1", count: 16)
    static let token = "twilio-token-1"
    static let from = "+15005550006"
    static let recipients = ["+15550001111", "+15550002222"]

    final class TwilioServer: @unchecked Sendable {
        let port: Int
        let folder: URL
        private var process: Process?
        private var input: Pipe?

        init(port: Int) throws {
            self.port = port
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("twilio-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }

        func start() async throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Subprocess.which("python3") ?? "/usr/bin/python3")
            process.arguments = [
                PackagePaths.root.appendingPathComponent("Tests/Fixtures/Twilio/twilio_server.py").path, String(port), sid, token, from,
                folder.path,
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
            guard ready else { throw TestFailure("the Twilio stand-in did not start") }
        }

        /// The next Messages.json requests answer these statuses (429: Twilio's rate limit).
        func force(_ statuses: [Int]) throws {
            let temporary = folder.appendingPathComponent("force.tmp")
            try Data("[\(statuses.map(String.init).joined(separator: ","))]".utf8).write(to: temporary)
            guard rename(temporary.path, folder.appendingPathComponent("force").path) == 0 else { throw TestFailure("force: rename") }
        }

        /// The messages created so far: form fields and headers as received.
        func messages() throws -> [JSON] {
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

    /// The alerts world with the SMS plugin sending to the stand-in (retrying after 1 s).
    static func with(
        port: Int, token: String = token, configured: Bool = true, _ body: @Sendable @escaping (PluginsAlertsTests.World) async throws -> Void
    ) async throws {
        try await PluginsAlertsTests.with(
            extra: { folder in
                let copy = try folder.copyBuilt("libAlertSMSPlugin.so")
                let settings =
                    configured
                    ? """
                    account_sid = "\(sid)"
                    auth_token = "\(token)"
                    from_number = "\(from)"
                    recipients = "\(recipients.joined(separator: ", "))"
                    base_url = "http://127.0.0.1:\(port)"
                    timeout_seconds = 10
                    backoff_seconds = 1
                    backoff_max_seconds = 2
                    send_sweep_seconds = 1
                    """ : ""
                try folder.write("62-alert-sms.toml", "library = \"\(copy)\"\nenabled = true\nrequired = true\n\n[settings]\n\(settings)\n")
            }, body)
    }

    static func texted(_ w: PluginsAlertsTests.World) async throws -> Int {
        let id = try await w.check([
            "check_type": "ping", "name": "gateway", "ip": "10.0.0.1", "fails_b4_alert": 1, "text_alert": true, "alert_severity": "error",
        ])
        try await w.submit(id, failing: true)
        return id
    }

    static func rows(_ w: PluginsAlertsTests.World) async throws -> [PGRow] {
        try await w.pool.query(
            "SELECT recipient, attempts, last_error, sent_time IS NOT NULL AS sent, gave_up, provider_id FROM plugin_alert_sms.messages ORDER BY id"
        ).rows
    }

    @Test func textAlert_sendsOneTwilioMessagePerRecipient_once() async throws {
        let twilio = try TwilioServer(port: try PluginsAlertEmailTests.freePort())
        try await twilio.start()
        try await Self.with(port: twilio.port) { w in
            _ = try await Self.texted(w)
            #expect(try await w.host.eventually(15) { try twilio.messages().count == 2 })
            let sent = try twilio.messages()
            #expect(Set(sent.compactMap { $0["fields"]?["To"]?.stringValue }) == Set(Self.recipients))
            for message in sent {
                #expect(message["fields"]?["From"]?.stringValue == Self.from)
                #expect(message["fields"]?["Body"]?.stringValue == "Alerts Co, HQ, web-1 - Ping gateway Failed", "\(message)")
                #expect(message["content_type"]?.stringValue == "application/x-www-form-urlencoded" && message["accept"] == "application/json")
            }
            #expect(try await w.host.eventually { try await Self.rows(w).allSatisfy { $0.bool("sent") } })
            let rows = try await Self.rows(w)
            #expect(rows.count == 2 && rows.allSatisfy { $0.optionalString("provider_id")?.hasPrefix("SM") == true })
            let alert = try #require(try await w.alerts().first)
            #expect(alert["sms_sent"]?.stringValue != nil)

            // The same notification again (an at-least-once repeat) sends nothing; a new one
            // with the template's own number goes to that number only.
            let notice = try #require(w.events.named("alert.notify").first)
            w.host.server.context.events.publish("alert.notify", notice.objectValue ?? [:])
            var other = notice.objectValue ?? [:]
            other["notification_id"] = 999_999
            other["recipients"] = ["+15550003333"]
            w.host.server.context.events.publish("alert.notify", other)
            #expect(try await w.host.eventually(15) { try twilio.messages().count >= 3 })
            #expect(try twilio.messages().count == 3 && twilio.messages().last?["fields"]?["To"] == "+15550003333")
            #expect(try await Self.rows(w).count == 3)

            // Tactical RMM's test text.
            let test = try await w.host.request(.post, "/core/smstest/", as: .token(w.admin))
            #expect(test.status == 200 && test.json == "SMS Test sent successfully!", "\(test.text)")
            #expect(try twilio.messages().suffix(2).allSatisfy { $0["fields"]?["Body"] == "TacticalRMM Test SMS" })
        }
    }

    /// 429 (Twilio's rate limit) is retried and then delivered; a wrong auth token is
    /// Twilio's 401 / 20003, given up at once with Twilio's text recorded and answered by
    /// the test route.
    @Test func rateLimitIsRetried_wrongTokenIsGivenUpWithTwiliosText() async throws {
        let twilio = try TwilioServer(port: try PluginsAlertEmailTests.freePort())
        try await twilio.start()
        try twilio.force([429, 503])
        try await Self.with(port: twilio.port) { w in
            _ = try await Self.texted(w)
            #expect(try await w.host.eventually(20) { try await Self.rows(w).filter { $0.bool("sent") }.count == 2 })
            let attempts = try await w.pool.query(
                "SELECT status, error FROM plugin_alert_sms.attempts WHERE NOT ok ORDER BY id").rows
            #expect(attempts.map { $0.int("status") } == [429, 503])
            let sms = ["channel": "sms"]
            #expect(try await PrometheusText.value(w.host, token: w.admin, "garrison_plugin_alert_sms_notifications_sent_total", sms) == 2)
            #expect(try await PrometheusText.value(w.host, token: w.admin, "garrison_plugin_alert_sms_notifications_retried_total", sms) == 2)
            #expect(
                attempts.first?.optionalString("error")
                    == "HTTP 429 error: Unable to create record: Too Many Requests (Twilio code 20429, https://www.twilio.com/docs/errors/20429)")
        }
        try await Self.with(port: twilio.port, token: "wrong") { w in
            _ = try await Self.texted(w)
            #expect(try await w.host.eventually(15) { try await Self.rows(w).filter { $0.bool("gave_up") }.count == 2 })
            let text = "HTTP 401 error: Unable to create record: Authenticate (Twilio code 20003, https://www.twilio.com/docs/errors/20003)"
            #expect(try await Self.rows(w).allSatisfy { $0.optionalString("last_error") == text && $0.int("attempts") == 1 })
            #expect(try await PrometheusText.value(w.host, token: w.admin, "garrison_plugin_alert_sms_notifications_failed_total", ["channel": "sms"]) == 2)
            let test = try await w.host.request(.post, "/core/smstest/", as: .token(w.admin))
            #expect(test.status == 400 && test.json["detail"]?.stringValue == text, "\(test.text)")
        }
        // Not configured: idle, and the test route says what is missing.
        try await Self.with(port: twilio.port, configured: false) { w in
            let test = try await w.host.request(.post, "/core/smstest/", as: .token(w.admin))
            #expect(test.status == 400 && test.json["detail"] == "All fields are required, including at least 1 recipient", "\(test.text)")
        }
    }
}
