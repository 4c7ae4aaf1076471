import CCurl
import Foundation
import PluginKit

/// alert_sms -- the SMS channel for alerts (Plugins/AlertSMS/README.md): subscribes to the
/// alerts plugin's alert.notify (channel "sms"), keeps each (notification, recipient) once and
/// sends it through Twilio's Messages API from its own outbox, with retries and exponential
/// backoff. Job alert_sms.send (every send_sweep_seconds) sends what is due.
///
/// Route: POST /core/smstest/ [can_edit_core_settings] -- Tactical RMM's test text.
final class AlertSMS: GarrisonPlugin {
    static let name: StaticString = "alert_sms"
    static let version: StaticString = "0.1.0"
    static let minHostMinor: UInt16 = 1

    let host: PluginHost
    /// nil: no account_sid set, nothing is received or sent.
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
        try r.route(.post, "/core/smstest/", permission: "can_edit_core_settings") { req in try await self.test(req) }
        guard let config else {
            host.log(.info, "no account_sid in [settings]: alert texts are not sent")
            return
        }
        Outcome.allCases.forEach { count($0, by: 0) }
        try r.subscribe("alert.notify") { event in await self.received(event) }
        try r.jobKind("alert_sms.send") { _ in
            let sent = try await self.sendDue()
            try await self.prune()
            return ["sent": .number(Double(sent))]
        }
        try r.subscribe("core.started") { _ in await self.ensureSchedule(config) }
        Task { await self.ensureSchedule(config) }
    }

    func ensureSchedule(_ config: Config) async {
        for attempt in 1...50 {
            do {
                _ = try await host.upsertSchedule(
                    ["id": JSON.string("alert-sms-send"), "kind": "alert_sms.send", "every_s": .number(Double(config.sweep))] as JSON)
                kick()
                return
            } catch {
                if attempt == 50 { host.log(.warning, "schedule: \(error)"); return }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Tactical RMM's SMS test: "TacticalRMM Test SMS" to every recipient; the first Twilio
    /// error is the answer.
    func test(_ req: PluginRequest) async throws -> PluginResponse {
        guard let config else { throw PluginHTTPError(400, "All fields are required, including at least 1 recipient") }
        for number in config.recipients {
            if case .failure(let error) = await Twilio.send(config: config, to: number, body: "TacticalRMM Test SMS") {
                throw PluginHTTPError(400, error.description)
            }
        }
        return try .json(JSON.string("SMS Test sent successfully!"))
    }

    func prune() async throws {
        guard let config, config.retentionDays > 0 else { return }
        try await host.execute(
            """
            DELETE FROM messages WHERE (sent_time < now() - make_interval(days => $1::int))
                OR (gave_up AND last_attempt < now() - make_interval(days => $1::int))
            """, [config.retentionDays])
    }

    /// Keeps an SMS notification once per recipient (the template's numbers, else the
    /// configured ones), then sends.
    func received(_ event: PluginEvent) async {
        let e = event.json
        guard let config, e["channel"]?.stringValue == "sms", let id = e["notification_id"]?.intValue else { return }
        var numbers = e["recipients"]?.arrayValue?.compactMap(\.stringValue).filter(Config.isE164) ?? []
        if numbers.isEmpty { numbers = config.recipients }
        do {
            try await host.execute(
                """
                INSERT INTO messages (notification_id, alert_id, kind, recipient, body)
                SELECT $1, $2, $3, r, $5 FROM unnest($4::text[]) AS r
                ON CONFLICT (notification_id, recipient) DO NOTHING
                """,
                [
                    id, e["alert_id"]?.intValue, e["kind"]?.stringValue ?? "raised", "{" + numbers.joined(separator: ",") + "}",
                    e["body"]?.stringValue ?? e["subject"]?.stringValue ?? "",
                ])
        } catch {
            host.log(.error, "keeping notification #\(id): \(error)")
            return
        }
        host.acknowledgeNotification(id, plugin: "alert_sms", channel: "sms")
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
        let recipient: String
        let body: String
        let attempts: Int
    }

    /// Sends every message that is due; returns how many were sent. A failure worth retrying
    /// (no answer, 429, 5xx) is tried again after backoff * 2^(attempts-1) seconds (at most
    /// backoff_max_seconds) until max_attempts; Twilio's other refusals are given up at once.
    @discardableResult
    func sendDue() async throws -> Int {
        guard let config else { return 0 }
        var sent = 0
        while true {
            let due: [Due] = try await host.query(
                """
                UPDATE messages SET next_attempt = now() + make_interval(secs => $1::float8) WHERE id IN (
                    SELECT id FROM messages WHERE sent_time IS NULL AND NOT gave_up AND next_attempt <= now()
                    ORDER BY id LIMIT 20 FOR UPDATE SKIP LOCKED)
                RETURNING id, notification_id, recipient, body, attempts
                """, [Double(config.timeout * 2 + 30)])
            if due.isEmpty { return sent }
            for message in due.sorted(by: { $0.id < $1.id }) {
                switch await Twilio.send(config: config, to: message.recipient, body: message.body) {
                case .success(let sid):
                    try await host.execute(
                        """
                        WITH m AS (UPDATE messages SET sent_time = now(), attempts = attempts + 1, last_attempt = now(), last_error = NULL,
                                       provider_id = $2
                                   WHERE id = $1 AND sent_time IS NULL RETURNING id)
                        INSERT INTO attempts (message_id, ok, status) SELECT id, true, 201 FROM m
                        """, [message.id, sid])
                    count(.sent)
                    report(message, .sent, error: nil)
                    sent += 1
                case .failure(let error):
                    let delay = min(Double(config.backoff) * pow(2, Double(message.attempts)), Double(config.backoffMax))
                    let giveUp = !error.retry || message.attempts + 1 >= config.maxAttempts
                    try await host.execute(
                        """
                        WITH m AS (UPDATE messages SET attempts = attempts + 1, last_attempt = now(), last_error = $2,
                                       next_attempt = now() + make_interval(secs => $3::float8), gave_up = $4::boolean
                                   WHERE id = $1 RETURNING id)
                        INSERT INTO attempts (message_id, ok, status, error) SELECT id, false, $5, $2 FROM m
                        """, [message.id, error.description, delay, giveUp, error.status])
                    host.log(
                        .warning,
                        "alert SMS #\(message.notification_id) to \(message.recipient) attempt \(message.attempts + 1): \(error.description)"
                            + (giveUp ? " (given up)" : " (retried in \(Int(delay)) s)"))
                    count(giveUp ? .failed : .retried)
                    report(message, giveUp ? .failed : .retried, error: error.description)
                    if !giveUp {
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
    /// garrison_plugin_alert_sms_notifications_{sent,retried,failed}_total{channel="sms"}. One
    /// SMS notification to several numbers counts once per number: each is its own message.
    typealias Outcome = DeliveryOutcome

    func count(_ outcome: Outcome, by delta: UInt64 = 1) { host.countDelivery(outcome, channel: "sms", by: delta) }

    /// alert_sms.delivery: one recipient's attempt, which the alerts plugin shows on the alert
    /// (Plugins/Alerts/README.md, "Delivery on the alert"); in-process, at most once.
    func report(_ message: Due, _ outcome: Outcome, error: String?) {
        host.reportDelivery(
            message.notification_id, plugin: "alert_sms", channel: "sms", state: outcome.state,
            attempts: message.attempts + 1, error: error, target: message.recipient)
    }
}
