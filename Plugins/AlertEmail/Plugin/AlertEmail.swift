import CCurl
import Foundation
import PluginKit

/// alert_email -- the e-mail channel for alerts (Plugins/AlertEmail/README.md): subscribes to
/// the alerts plugin's alert.notify (channel "email"), keeps each notification once (unique
/// notification_id) and sends it over SMTP through libcurl from its own outbox, with retries
/// and exponential backoff. Job alert_email.send (every send_sweep_seconds) sends what is due.
final class AlertEmail: GarrisonPlugin {
    static let name: StaticString = "alert_email"
    static let version: StaticString = "0.1.0"
    static let minHostMinor: UInt16 = 1

    let host: PluginHost
    /// nil: no smtp_host set, nothing is received or sent.
    let config: Config?

    /// One sender at a time; a kick while it runs makes it look again.
    private let sender = SingleFlight()

    init(host: PluginHost) throws {
        self.host = host
        self.config = try Config(try host.settings(Settings.self))
        ccurl_global_init()
    }

    func register(_ r: Registrar) throws {
        try r.migration(version: 1, sql: Schema.v1)
        try r.migration(version: 2, sql: Schema.v2)
        try r.route(.post, "/core/emailtest/", permission: "can_edit_core_settings") { req in try await self.test(req) }
        guard let config else {
            host.log(.info, "no smtp_host in [settings]: alert e-mails are not sent")
            return
        }
        Outcome.allCases.forEach { count($0, by: 0) }
        try r.subscribe("alert.notify") { event in await self.received(event) }
        try r.jobKind("alert_email.send") { _ in
            let sent = try await self.sendDue()
            try await self.prune()
            return ["sent": .number(Double(sent))]
        }
        try r.subscribe("core.started") { _ in await self.ensureSchedule(config) }
        Task { await self.ensureSchedule(config) }
    }

    /// Tactical RMM's test mail ("Test from Tactical RMM" / "This is a test message") to the
    /// recipients, sent at once; the SMTP error is the answer.
    func test(_ req: PluginRequest) async throws -> PluginResponse {
        guard let config else { throw PluginHTTPError(400, "There needs to be at least one email recipient configured") }
        let data = Mail.message(
            config: config, notification: 0, subject: "Test from Tactical RMM", body: "This is a test message",
            messageID: "test-\(UUID().uuidString.lowercased())")
        if case .failure(let error) = await SMTP.send(config: config, data: data) { throw PluginHTTPError(400, error.description) }
        return try .json(JSON.string("Email test ok!"))
    }

    func ensureSchedule(_ config: Config) async {
        for attempt in 1...50 {
            do {
                _ = try await host.upsertSchedule(
                    ["id": JSON.string("alert-email-send"), "kind": "alert_email.send", "every_s": .number(Double(config.sweep))] as JSON)
                kick()
                return
            } catch {
                if attempt == 50 { host.log(.warning, "schedule: \(error)"); return }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Drops sent and given-up messages older than retention_days (their attempts with them).
    /// A notification published again after that would be sent again; the alerts plugin
    /// republishes only what it has not marked published, minutes after, not months.
    func prune() async throws {
        guard let config, config.retentionDays > 0 else { return }
        try await host.execute(
            """
            DELETE FROM messages WHERE (sent_time < now() - make_interval(days => $1::int))
                OR (gave_up AND last_attempt < now() - make_interval(days => $1::int))
            """, [config.retentionDays])
    }

    /// Keeps an e-mail notification once, then sends.
    func received(_ event: PluginEvent) async {
        let e = event.json
        guard e["channel"]?.stringValue == "email", let id = e["notification_id"]?.intValue else { return }
        // The alert template's own recipients and sender, when it names them.
        let recipients = e["recipients"]?.arrayValue?.compactMap(\.stringValue).filter(Config.isAddress) ?? []
        let sender = e["email_from"]?.stringValue.flatMap { Config.isAddress($0) ? $0 : nil }
        do {
            try await host.execute(
                """
                INSERT INTO messages (notification_id, alert_id, kind, subject, body, recipients, sender)
                VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
                ON CONFLICT (notification_id) DO NOTHING
                """,
                [
                    id, e["alert_id"]?.intValue, e["kind"]?.stringValue ?? "raised", e["subject"]?.stringValue ?? "",
                    e["body"]?.stringValue ?? "", recipients.isEmpty ? nil : String(decoding: JSON.array(recipients.map(JSON.string)).jsonBytes, as: UTF8.self),
                    sender,
                ])
        } catch {
            host.log(.error, "keeping notification #\(id): \(error)")
            return
        }
        host.acknowledgeNotification(id, plugin: "alert_email", channel: "email")
        kick()
    }

    /// Starts the sender unless it runs; if it does, it looks again when done.
    func kick() {
        sender.kick {
            do { _ = try await self.sendDue() } catch { self.host.log(.warning, "sending: \(error)") }
        }
    }

    struct Due: Decodable, Sendable {
        let id: Int
        let notification_id: Int
        let subject: String
        let body: String
        let attempts: Int
        let recipients: [String]?
        let sender: String?
    }

    /// Sends every message that is due; returns how many were sent. A failure is retried
    /// after backoff * 2^(attempts-1) seconds (at most backoff_max_seconds), until max_attempts.
    @discardableResult
    func sendDue() async throws -> Int {
        guard let config else { return 0 }
        var sent = 0
        // One connection for the whole burst (reopened by libcurl if the server closed it).
        let session = SMTP.Session()
        defer { session.close() }
        while true {
            // Claimed by moving next_attempt past the send's timeout: another sender (the sweep
            // job, another host) skips it meanwhile.
            let due: [Due] = try await host.query(
                """
                UPDATE messages SET next_attempt = now() + make_interval(secs => $1::float8) WHERE id IN (
                    SELECT id FROM messages WHERE sent_time IS NULL AND NOT gave_up AND next_attempt <= now()
                    ORDER BY id LIMIT 20 FOR UPDATE SKIP LOCKED)
                RETURNING id, notification_id, subject, body, attempts, recipients, sender
                """, [Double(config.timeout * 2 + 30)])
            if due.isEmpty { return sent }
            for message in due.sorted(by: { $0.id < $1.id }) {
                var target = config
                if let recipients = message.recipients, !recipients.isEmpty { target.recipients = recipients }
                if let sender = message.sender { target.from = sender }
                let data = Mail.message(config: target, notification: message.notification_id, subject: message.subject, body: message.body)
                let result = await SMTP.send(config: target, data: data, session: session)
                switch result {
                case .success:
                    try await host.execute(
                        """
                        WITH m AS (UPDATE messages SET sent_time = now(), attempts = attempts + 1, last_attempt = now(), last_error = NULL
                                   WHERE id = $1 AND sent_time IS NULL RETURNING id)
                        INSERT INTO attempts (message_id, ok) SELECT id, true FROM m
                        """, [message.id])
                    count(.sent)
                    report(message.notification_id, .sent, attempts: message.attempts + 1, error: nil)
                    sent += 1
                case .failure(let error):
                    let delay = min(Double(config.backoff) * pow(2, Double(message.attempts)), Double(config.backoffMax))
                    try await host.execute(
                        """
                        WITH m AS (UPDATE messages SET attempts = attempts + 1, last_attempt = now(), last_error = $2,
                                       next_attempt = now() + make_interval(secs => $3::float8), gave_up = attempts + 1 >= $4::int
                                   WHERE id = $1 RETURNING id)
                        INSERT INTO attempts (message_id, ok, error) SELECT id, false, $2 FROM m
                        """, [message.id, error.description, delay, config.maxAttempts])
                    host.log(.warning, "alert e-mail #\(message.notification_id) attempt \(message.attempts + 1): \(error.description)")
                    let outcome: Outcome = message.attempts + 1 < config.maxAttempts ? .retried : .failed
                    count(outcome)
                    report(message.notification_id, outcome, attempts: message.attempts + 1, error: error.description)
                    if message.attempts + 1 < config.maxAttempts {
                        // Retried then by this process; the sweep job is the backstop.
                        Task {
                            try? await Task.sleep(for: .seconds(delay))
                            self.kick()
                        }
                    }
                }
            }
        }
    }

    /// What /metrics/ counts for this channel (PluginAPI/README.md, "Adding an alert channel"):
    /// garrison_plugin_alert_email_notifications_{sent,retried,failed}_total{channel="email"}.
    typealias Outcome = DeliveryOutcome

    func count(_ outcome: Outcome, by delta: UInt64 = 1) { host.countDelivery(outcome, channel: "email", by: delta) }

    /// alert_email.delivery: the attempt's outcome, which the alerts plugin shows on the alert.
    func report(_ notification: Int, _ outcome: Outcome, attempts: Int, error: String?) {
        host.reportDelivery(
            notification, plugin: "alert_email", channel: "email", state: outcome.state, attempts: attempts, error: error)
    }
}
