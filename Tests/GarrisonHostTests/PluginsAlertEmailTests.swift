import Foundation
import Testing
@testable import GarrisonHost

/// The e-mail channel (Plugins/AlertEmail) with the checks and alerts plugins, all built next
/// to this bundle and loaded by a real host, sending to a real SMTP server (aiosmtpd,
/// Tests/Fixtures/Mail/smtp_server.py) on a free loopback port with AUTH: what arrives is
/// what the server accepted, headers and body as received.
@Suite struct PluginsAlertEmailTests {
    /// aiosmtpd on 127.0.0.1:port, writing accepted messages to a folder.
    final class SMTPServer: @unchecked Sendable {
        let port: Int
        let password: String
        let tls: String
        let folder: URL
        /// Seconds the server waits after keeping a message before its 250 (a slow server).
        let dataDelay: Double
        private var process: Process?
        private var input: Pipe?

        /// tls: none, starttls or implicit, with a self-signed certificate for 127.0.0.1
        /// (`certificate`, the file the client trusts).
        init(port: Int, password: String, tls: String = "none", dataDelay: Double = 0) throws {
            self.port = port
            self.dataDelay = dataDelay
            self.password = password
            self.tls = tls
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: mail, withIntermediateDirectories: true)
            if tls != "none" {
                let made = try Subprocess.run(
                    Subprocess.which("openssl") ?? "/usr/bin/openssl",
                    [
                        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.path, "-out", certificate.path,
                    ])
                guard made.status == 0 else { throw TestFailure("openssl: \(made.output)") }
            }
        }

        var mail: URL { folder.appendingPathComponent("mail") }
        var certificate: URL { folder.appendingPathComponent("cert.pem") }
        var key: URL { folder.appendingPathComponent("key.pem") }

        func start() async throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Subprocess.which("python3") ?? "/usr/bin/python3")
            process.arguments = [
                PackagePaths.root.appendingPathComponent("Tests/Fixtures/Mail/smtp_server.py").path, String(port), "alerts", password,
                mail.path, tls, certificate.path, key.path,
            ]
            if dataDelay > 0 {
                process.environment = ProcessInfo.processInfo.environment.merging(["SMTP_DATA_DELAY": String(dataDelay)]) { $1 }
            }
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
            guard ready else { throw TestFailure("aiosmtpd did not start (pip install aiosmtpd: scripts/install-deps.sh)") }
        }

        func stop() {
            try? input?.fileHandleForWriting.close()
            if let process, process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
            process = nil
        }

        /// The messages accepted so far: envelope, headers (by name) and body.
        func messages() throws -> [(from: String, to: [String], headers: [String: String], body: String)] {
            let files = try FileManager.default.contentsOfDirectory(atPath: mail.path).filter { $0.hasSuffix(".json") }.sorted()
            return try files.map { name in
                let json = try JSON.parse(try Data(contentsOf: mail.appendingPathComponent(name)))
                let data = (json["data"]?.stringValue ?? "").replacingOccurrences(of: "\r\n", with: "\n")
                let split = data.range(of: "\n\n")
                let head = split.map { String(data[..<$0.lowerBound]) } ?? data
                var headers: [String: String] = [:]
                for line in head.split(separator: "\n") {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                let body = split.map { String(data[$0.upperBound...]) } ?? ""
                return (
                    json["from"]?.stringValue ?? "", json["to"]?.arrayValue?.compactMap(\.stringValue) ?? [], headers,
                    body.hasSuffix("\n") ? String(body.dropLast()) : body
                )
            }
        }

        deinit {
            stop()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    /// A loopback port nothing listens on (bound, read, closed).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw TestFailure("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The alerts world (PluginsAlertsTests) with the e-mail plugin sending to 127.0.0.1:port
    /// as alerts/password, retrying after 1 s.
    static func with(
        port: Int, password: String, auth: String = "plain", tls: String = "none", caFile: String = "", more: String = "",
        _ body: @Sendable @escaping (PluginsAlertsTests.World) async throws -> Void
    ) async throws {
        try await PluginsAlertsTests.with(
            settings: "check_email_on_resolved = true",
            extra: { folder in
                let copy = try folder.copyBuilt("libAlertEmailPlugin.so")
                try folder.write(
                    "61-alert-email.toml",
                    """
                    library = "\(copy)"
                    enabled = true
                    required = true

                    [settings]
                    smtp_host = "127.0.0.1"
                    smtp_port = \(port)
                    tls = "\(tls)"
                    ca_file = "\(caFile)"
                    from = "garrison@example.com"
                    username = "alerts"
                    password = "\(password)"
                    auth = "\(auth)"
                    recipients = "ops@example.com, oncall@example.org"
                    timeout_seconds = 10
                    backoff_seconds = 1
                    backoff_max_seconds = 2
                    send_sweep_seconds = 1
                    \(more)

                    """)
            }, body)
    }

    static func mailedCheck(_ w: PluginsAlertsTests.World) async throws -> Int {
        try await w.check([
            "check_type": "ping", "name": "gateway", "ip": "10.0.0.1", "fails_b4_alert": 2, "email_alert": true, "alert_severity": "error",
        ])
    }

    struct Message: Decodable, Sendable {
        let attempts: Int
        let last_error: String?
        let sent: Bool
    }

    static func messages(_ w: PluginsAlertsTests.World) async throws -> [(attempts: Int, error: String?, sent: Bool)] {
        try await w.pool.query(
            "SELECT attempts, last_error, sent_time IS NOT NULL AS sent FROM plugin_alert_email.messages ORDER BY id"
        ).rows.map { ($0.int("attempts"), $0.optionalString("last_error"), $0.bool("sent")) }
    }

    @Test func failingCheck_mailsOnceWithTacticalTexts_andItsResolveMailsAgain() async throws {
        let server = try SMTPServer(port: try Self.freePort(), password: "s3cret")
        try await server.start()
        defer { server.stop() }
        try await Self.with(port: server.port, password: "s3cret") { w in
            let id = try await Self.mailedCheck(w)
            try await w.submit(id, failing: true)
            try await w.submit(id, failing: true)
            #expect(try await w.host.eventually(30) { try server.messages().count == 1 })
            let raised = try #require(try server.messages().first)
            #expect(raised.from == "garrison@example.com" && raised.to == ["ops@example.com", "oncall@example.org"], "\(raised)")
            #expect(raised.headers["From"] == "garrison@example.com")
            #expect(raised.headers["To"] == "ops@example.com, oncall@example.org")
            #expect(raised.headers["Subject"] == "Alerts Co, HQ, web-1 - Ping gateway Failed", "\(raised.headers)")
            #expect(raised.body == "100% packet loss", "\(raised.body)")

            // The same notification published again (an at-least-once repeat) is not sent again;
            // a further failure of the open alert sends nothing either.
            let notification = try #require(
                try await w.pool.query("SELECT id, alert_id FROM plugin_alert.notifications ORDER BY id").first)
            w.host.server.context.events.publish(
                "alert.notify",
                [
                    "notification_id": .number(Double(notification.int("id"))), "alert_id": .number(Double(notification.int("alert_id"))),
                    "kind": "raised", "channel": "email", "subject": "repeat", "body": "repeat",
                ])
            try await w.submit(id, failing: true)
            try await w.submit(id, failing: false)
            #expect(try await w.host.eventually(30) { try server.messages().count == 2 })
            let resolved = try #require(try server.messages().last)
            #expect(resolved.headers["Subject"] == "Alerts Co, HQ, web-1 - Ping gateway Resolved", "\(resolved.headers)")
            #expect(resolved.body == "Alerts Co, HQ, web-1 - Ping gateway is now back to normal", "\(resolved.body)")
            // Marked sent once the server's 250 is in (just after the mail is on the server's disk).
            #expect(try await w.host.eventually(10) { try await Self.messages(w).allSatisfy(\.sent) })
            let rows = try await Self.messages(w)
            #expect(rows.count == 2 && rows.allSatisfy { $0.sent && $0.attempts == 1 && $0.error == nil }, "\(rows)")
            #expect(try server.messages().count == 2 && !(try server.messages().contains { $0.headers["Subject"] == "repeat" }))

            // The send job (every second here, on the host's scheduler) drops sent messages
            // older than retention_days (90).
            try await w.pool.query(
                "UPDATE plugin_alert_email.messages SET sent_time = now() - interval '100 days' WHERE id = (SELECT min(id) FROM plugin_alert_email.messages)"
            )
            let scheduler = w.host.server.scheduler
            let running = Task { try await scheduler.run() }
            defer { running.cancel() }
            #expect(try await w.host.eventually(15) { try await Self.messages(w).count == 1 })
        }
    }

    /// STARTTLS (required) and implicit TLS, the server's certificate checked against the
    /// file the test made.
    @Test(arguments: ["starttls", "implicit"]) func tls_sendsOverAVerifiedConnection(tls: String) async throws {
        let server = try SMTPServer(port: try Self.freePort(), password: "s3cret", tls: tls)
        try await server.start()
        defer { server.stop() }
        try await Self.with(port: server.port, password: "s3cret", tls: tls, caFile: server.certificate.path) { w in
            let id = try await Self.mailedCheck(w)
            try await w.submit(id, failing: true)
            try await w.submit(id, failing: true)
            #expect(
                try await w.host.eventually(30) {
                    if try server.messages().count == 1 { return true }
                    return try await Self.messages(w).first?.error != nil
                })
            let rows = try await Self.messages(w)
            #expect(try server.messages().first?.headers["Subject"] == "Alerts Co, HQ, web-1 - Ping gateway Failed", "\(rows)")
        }
    }

    /// No plain-text fallback: a server without STARTTLS, or one whose certificate is not
    /// trusted (no ca_file: the system's roots), gets no message and the attempt's error says why.
    @Test(arguments: [("none", "starttls"), ("starttls", "starttls"), ("implicit", "implicit")])
    func tlsThatCannotBeHad_isNotSent(server tlsOfServer: String, client tls: String) async throws {
        let server = try SMTPServer(port: try Self.freePort(), password: "s3cret", tls: tlsOfServer)
        try await server.start()
        defer { server.stop() }
        try await Self.with(port: server.port, password: "s3cret", tls: tls) { w in
            let id = try await Self.mailedCheck(w)
            try await w.submit(id, failing: true)
            try await w.submit(id, failing: true)
            #expect(try await w.host.eventually(30) { try await Self.messages(w).first?.error != nil })
            let failed = try #require(try await Self.messages(w).first)
            #expect(
                !failed.sent && (failed.error ?? "").lowercased().contains(tlsOfServer == "none" ? "starttls" : "certificate"), "\(failed)")
            #expect(try server.messages().isEmpty)
        }
    }

    @Test func smtpDownAtFirst_isRetried_andDeliveredOnceItIsUp() async throws {
        let server = try SMTPServer(port: try Self.freePort(), password: "s3cret")
        defer { server.stop() }
        try await Self.with(port: server.port, password: "s3cret", auth: "login") { w in
            let id = try await Self.mailedCheck(w)
            try await w.submit(id, failing: true)
            try await w.submit(id, failing: true)
            // Refused: an attempt and its error are recorded, the message is kept for a retry.
            #expect(
                try await w.host.eventually(30) { try await Self.messages(w).first.map { $0.attempts >= 1 && $0.error != nil } == true })
            let failed = try #require(try await Self.messages(w).first)
            #expect(!failed.sent && (failed.error ?? "").lowercased().contains("connect"), "\(failed)")
            try await server.start()
            #expect(try await w.host.eventually(30) { try server.messages().count == 1 })
            #expect(try await w.host.eventually(10) { try await Self.messages(w).first?.sent == true })
            let sent = try #require(try await Self.messages(w).first)
            #expect(sent.attempts >= 2 && sent.error == nil, "\(sent)")
            // /metrics/ counts the channel's outcomes (ABI 1.3 metric_add, under the plugin's prefix).
            let channel = ["channel": "email"]
            #expect(try await PrometheusText.value(w.host, token: w.admin, "garrison_plugin_alert_email_notifications_sent_total", channel) == 1)
            let retried = try await PrometheusText.value(w.host, token: w.admin, "garrison_plugin_alert_email_notifications_retried_total", channel)
            #expect(retried.map { $0 >= 1 && Int($0) == sent.attempts - 1 } == true, "\(retried.map { "\($0)" } ?? "none")")
            #expect(try await PrometheusText.value(w.host, token: w.admin, "garrison_plugin_alert_email_notifications_failed_total", channel) == 0)
            #expect(try server.messages().first?.headers["Subject"] == "Alerts Co, HQ, web-1 - Ping gateway Failed")
            #expect(
                try await w.pool.query(
                    "SELECT count(*) FILTER (WHERE ok) AS ok, count(*) FILTER (WHERE NOT ok) AS failed FROM plugin_alert_email.attempts"
                )
                .first.map { $0.int("ok") == 1 && $0.int("failed") >= 1 } == true)
        }
    }

    @Test func wrongPassword_isNotDelivered_andTheServersAnswerIsRecorded() async throws {
        let server = try SMTPServer(port: try Self.freePort(), password: "s3cret")
        try await server.start()
        defer { server.stop() }
        try await Self.with(port: server.port, password: "wrong", more: "max_attempts = 2") { w in
            let id = try await Self.mailedCheck(w)
            try await w.submit(id, failing: true)
            try await w.submit(id, failing: true)
            #expect(try await w.host.eventually(30) { try await Self.messages(w).first?.attempts == 2 })
            let failed = try #require(try await Self.messages(w).first)
            #expect(!failed.sent && failed.attempts == 2)
            #expect((failed.error ?? "").contains("535"), "the server's refusal is kept: \(failed.error ?? "")")
            #expect(try server.messages().isEmpty)
            // Two attempts of max_attempts = 2: one retried, then given up (failed) on /metrics/.
            let channel = ["channel": "email"]
            #expect(try await PrometheusText.value(w.host, token: w.admin, "garrison_plugin_alert_email_notifications_retried_total", channel) == 1)
            #expect(try await PrometheusText.value(w.host, token: w.admin, "garrison_plugin_alert_email_notifications_failed_total", channel) == 1)
            #expect(try await PrometheusText.value(w.host, token: w.admin, "garrison_plugin_alert_email_notifications_sent_total", channel) == 0)
            // The alert itself shows the attempts and the server's answer (Garrison's `deliveries`).
            let alertID = try #require(try await w.alerts(check: id).first?["id"]?.intValue)
            #expect(
                try await w.host.eventually(10) {
                    let alert = try await w.host.request(.get, "/alerts/\(alertID)/", as: .token(w.admin)).json
                    return alert["deliveries"]?.arrayValue?.first { $0["channel"] == "email" }?["state"] == "failed"
                })
            let alert = try await w.host.request(.get, "/alerts/\(alertID)/", as: .token(w.admin)).json
            let delivery = try #require(alert["deliveries"]?.arrayValue?.first { $0["channel"] == "email" })
            #expect(delivery["attempts"] == 2 && delivery["kind"] == "raised", "\(delivery)")
            #expect(delivery["last_error"]?.stringValue?.contains("535") == true, "\(delivery)")
        }
    }

    /// POST /core/emailtest/ (Tactical RMM's test mail, its answer and the SMTP error as the
    /// refusal), and an alert template's own recipients and sender.
    @Test func emailTest_andATemplatesRecipientsAndSender() async throws {
        let server = try SMTPServer(port: try Self.freePort(), password: "s3cret")
        try await server.start()
        defer { server.stop() }
        try await Self.with(port: server.port, password: "s3cret") { w in
            let test = try await w.host.request(.post, "/core/emailtest/", as: .token(w.admin))
            #expect(test.status == 200 && test.json == "Email test ok!", "\(test.text)")
            let first = try #require(try server.messages().first)
            #expect(first.headers["Subject"] == "Test from Tactical RMM" && first.body == "This is a test message", "\(first)")
            #expect(Set(first.to) == ["ops@example.com", "oncall@example.org"])

            let created = try await w.host.request(
                .post, "/alerts/templates/", as: .token(w.admin),
                json: [
                    "name": "mail", "check_always_email": true, "email_recipients": ["team@example.net"], "email_from": "alerts@example.net",
                ])
            #expect(created.status == 200, "\(created.text)")
            let template = try #require(try await w.pool.query("SELECT max(id) AS id FROM plugin_alert.templates").first?.int("id"))
            let assigned = try await w.host.request(.put, "/alerts/assignments/", as: .token(w.admin), json: ["default": .init(template)])
            #expect(assigned.status == 200, "\(assigned.text)")
            let id = try await w.check(["check_type": "ping", "name": "quiet", "ip": "10.0.0.4", "fails_b4_alert": 1, "alert_severity": "error"])
            try await w.submit(id, failing: true)
            #expect(try await w.host.eventually(15) { try server.messages().count == 2 })
            let mail = try server.messages()[1]
            #expect(mail.to == ["team@example.net"] && mail.headers["To"] == "team@example.net", "\(mail)")
            #expect(mail.headers["From"] == "alerts@example.net" && mail.headers["Subject"] == "Alerts Co, HQ, web-1 - Ping quiet Failed")
        }
        try await Self.with(port: server.port, password: "wrong") { w in
            let test = try await w.host.request(.post, "/core/emailtest/", as: .token(w.admin))
            #expect(test.status == 400 && test.json["detail"]?.stringValue?.contains("535") == true, "\(test.text)")
        }
    }

    /// Only the e-mail plugin, with `settings` (the shipped file's when nil), and its entry in
    /// /core/plugins/.
    static func pluginEntry(settings: String?) async throws -> JSON? {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        let copy = try folder.copyBuilt("libAlertEmailPlugin.so")
        var text = try String(contentsOf: PackagePaths.root.appendingPathComponent("plugins.d/61-alert-email.toml"), encoding: .utf8)
            .replacingOccurrences(of: "\"libAlertEmailPlugin.so\"", with: "\"\(copy)\"")
        if let settings { text = text.components(separatedBy: "[settings]")[0] + "[settings]\n" + settings + "\n" }
        try folder.write("61-alert-email.toml", text)
        return try await TestHost.with(plugins: folder) { host in
            let admin = try await host.adminToken()
            let plugins = try await host.request(.get, "/core/plugins/", as: .token(admin))
            return plugins.json.arrayValue?.first { $0["name"] == "alert_email" }
                ?? plugins.json["plugins"]?.arrayValue?.first {
                    $0["name"] == "alert_email" || $0["library"]?.stringValue?.contains("AlertEmail") == true
                }
        }
    }

    @Test func shippedSettings_start_andSendNothing() async throws {
        let entry = try await Self.pluginEntry(settings: nil)
        #expect(entry?["state"] == "running", "\(entry.map { "\($0)" } ?? "no entry")")
    }

    @Test func aRecipientThatIsNoAddress_keepsThePluginFromStarting() async throws {
        let entry = try await Self.pluginEntry(
            settings: "smtp_host = \"127.0.0.1\"\nfrom = \"garrison@example.com\"\nrecipients = \"ops@example.com, ops team\"")
        // The host logs plugin_init's message: [settings] recipients: "ops team" is not an e-mail
        // address (expected name@domain).
        #expect(entry?["state"] == "failed" && entry?["code"] == "initFailed", "\(entry.map { "\($0)" } ?? "no entry")")
    }
}
