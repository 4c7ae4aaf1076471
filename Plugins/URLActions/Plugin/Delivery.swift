import Foundation
import PluginKit

/// Webhooks of alert templates (Plugins/URLActions/README.md, "Alert webhooks"): the alerts
/// plugin's alert.notify of channel "webhook" is kept once (unique notification_id), its
/// request fixed at once (variables substituted against the alert), then sent from the
/// outbox with retries and exponential backoff; the outcome is published as
/// urlaction.alert_action.result and recorded on the alert by the alerts plugin.
extension URLActions {
    func received(_ event: PluginEvent) async {
        let e = event.json
        guard e["channel"]?.stringValue == "webhook", let id = e["notification_id"]?.intValue else { return }
        let kind = e["kind"]?.stringValue == "resolved" ? "resolved" : "raised"
        // A repeat of a notification already kept: nothing to prepare (acknowledged again, the
        // first acknowledgement may have been lost).
        if let known = try? await host.queryRows("SELECT 1 AS known FROM deliveries WHERE notification_id = $1", [id]), !known.isEmpty {
            host.acknowledgeNotification(id, plugin: "urlaction", channel: "webhook")
            return
        }
        let actionID = e["action"]?["url_action"]?.intValue
        var prepared = Prepared(method: "post", url: "", body: nil, headers: [], error: nil, bodyValid: true)
        var found: JSON?
        if let actionID { found = try? await action(actionID) }
        if let action = found, action["action_type"]?.stringValue == "rest" {
            var context = VariableContext(host: host, instance: "alert", alert: e["alert"] ?? .object(["agent_id": e["agent_id"] ?? .null]))
            prepared = await prepare(
                method: action["rest_method"]?.stringValue ?? "post", pattern: action["pattern"]?.stringValue ?? "",
                body: action["rest_body"]?.stringValue ?? "", headers: action["rest_headers"]?.stringValue ?? "", context: &context)
            if !prepared.bodyValid {
                host.log(.warning, "webhook of alert #\(e["alert_id"]?.intValue ?? 0): rest_body is not JSON after substitution; sent as a JSON string")
            }
        } else {
            prepared.error = found == nil ? "URL action \(actionID ?? 0) does not exist" : "URL action \(actionID ?? 0) is not a rest action"
        }
        // Tactical RMM's idempotency aid is none; Garrison names the notification so a
        // receiver can drop a repeat (README, "Where a duplicate is still possible").
        if !prepared.headers.contains(where: { $0.0.lowercased() == "idempotency-key" }) {
            prepared.headers.append(("Idempotency-Key", "garrison-alert-notification-\(id)"))
        }
        let headers = JSON.array(prepared.headers.map { JSON.array([.string($0.0), .string($0.1)]) })
        do {
            try await host.execute(
                """
                INSERT INTO deliveries (notification_id, alert_id, kind, url_action, method, url, body, headers, last_error, gave_up)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10::boolean)
                ON CONFLICT (notification_id) DO NOTHING
                """,
                [
                    id, e["alert_id"]?.intValue, kind, actionID, prepared.method, prepared.url, prepared.body,
                    String(decoding: headers.jsonBytes, as: UTF8.self), prepared.error, prepared.error != nil,
                ])
        } catch {
            host.log(.error, "keeping webhook notification #\(id): \(error)")
            return
        }
        host.acknowledgeNotification(id, plugin: "urlaction", channel: "webhook")
        if let error = prepared.error {
            count(.failed)
            report(id, .failed, attempts: 0, error: error)
        }
        kick()
    }

    /// Starts the sender unless it runs; if it does, it looks again when done.
    func kick() {
        sender.kick {
            do {
                _ = try await self.sendDue()
                _ = try await self.publishResults()
            } catch { self.host.log(.warning, "sending webhooks: \(error)") }
        }
    }

    struct Due: Decodable, Sendable {
        let id: Int
        let notification_id: Int
        let method: String
        let url: String
        let body: String?
        let headers: [[String]]
        let attempts: Int
    }

    /// Sends every delivery that is due; returns how many got a final answer. A failure (no
    /// answer, 429, 5xx) is retried after backoff * 2^(attempts-1) s, at most
    /// backoff_max_seconds, until max_attempts.
    @discardableResult
    func sendDue() async throws -> Int {
        var done = 0
        while true {
            let due: [Due] = try await host.query(
                """
                UPDATE deliveries SET next_attempt = now() + make_interval(secs => $1::float8) WHERE id IN (
                    SELECT id FROM deliveries WHERE sent_time IS NULL AND NOT gave_up AND next_attempt <= now()
                    ORDER BY id LIMIT 50 FOR UPDATE SKIP LOCKED)
                RETURNING id, notification_id, method, url, body, headers, attempts
                """, [Double(config.timeout * 2 + 30)])
            if due.isEmpty { return done }
            await withTaskGroup(of: Void.self) { group in
                for d in due {
                    group.addTask {
                        let headers = d.headers.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
                        let answer = await HTTP.send(
                            method: d.method, url: d.url, headers: headers, body: d.body, timeout: self.config.timeout, sessions: self.sessions)
                        do { try await self.record(d, answer) } catch {
                            self.host.log(.warning, "recording webhook #\(d.notification_id): \(error)")
                        }
                    }
                }
            }
            done += due.count
        }
    }

    func record(_ d: Due, _ answer: HTTP.Answer) async throws {
        let time = String(format: "%.4f", answer.seconds)
        if !answer.retry {
            try await host.execute(
                """
                WITH m AS (UPDATE deliveries SET sent_time = now(), attempts = attempts + 1, last_attempt = now(), last_error = NULL,
                               status = $2, response = $3, execution_time = $4
                           WHERE id = $1 AND sent_time IS NULL RETURNING id)
                INSERT INTO attempts (delivery_id, ok, status) SELECT id, true, $2 FROM m
                """, [d.id, answer.status, answer.text, time])
            count(.sent)
            report(d.notification_id, .sent, attempts: d.attempts + 1, error: nil)
            return
        }
        let error = answer.error ?? "HTTP \(answer.status): \(answer.text.prefix(500))"
        let delay = min(Double(config.backoff) * pow(2, Double(d.attempts)), Double(config.backoffMax))
        try await host.execute(
            """
            WITH m AS (UPDATE deliveries SET attempts = attempts + 1, last_attempt = now(), last_error = $2, status = $5,
                           response = $6, execution_time = $7,
                           next_attempt = now() + make_interval(secs => $3::float8), gave_up = attempts + 1 >= $4::int
                       WHERE id = $1 AND sent_time IS NULL RETURNING id)
            INSERT INTO attempts (delivery_id, ok, status, error) SELECT id, false, $5, $2 FROM m
            """, [d.id, error, delay, config.maxAttempts, answer.status, answer.text, time])
        host.log(.warning, "webhook #\(d.notification_id) attempt \(d.attempts + 1): \(error)")
        let outcome: Counted = d.attempts + 1 < config.maxAttempts ? .retried : .failed
        count(outcome)
        report(d.notification_id, outcome, attempts: d.attempts + 1, error: error)
        if d.attempts + 1 < config.maxAttempts {
            Task {
                try? await Task.sleep(for: .seconds(delay))
                self.kick()
            }
        }
    }

    /// What /metrics/ counts for webhooks (PluginAPI/README.md, "Adding an alert channel"):
    /// garrison_plugin_urlaction_notifications_{sent,retried,failed}_total{channel="webhook"}.
    /// Sent is any final answer (a 4xx too: Tactical RMM does not retry it); a delivery given up
    /// before its first request (no such URL action, a host not allowed) counts as failed.
    typealias Counted = DeliveryOutcome

    func count(_ outcome: Counted, by delta: UInt64 = 1) { host.countDelivery(outcome, channel: "webhook", by: delta) }

    /// urlaction.delivery: the attempt's outcome, which the alerts plugin shows on the alert
    /// (Plugins/Alerts/README.md, "Delivery on the alert"); in-process, at most once.
    func report(_ notification: Int, _ outcome: Counted, attempts: Int, error: String?) {
        host.reportDelivery(
            notification, plugin: "urlaction", channel: "webhook", state: outcome.state, attempts: attempts, error: error)
    }

    struct Outcome: Decodable, Sendable {
        let id: Int
        let notification_id: Int
        let alert_id: Int?
        let kind: String
        let status: Int?
        let response: String?
        let last_error: String?
        let execution_time: String?
        let sent: Bool
    }

    /// Publishes urlaction.alert_action.result for every finished delivery not yet published, then
    /// marks it (publish first: a stop between publishes it again; recording it is idempotent).
    @discardableResult
    func publishResults() async throws -> Int {
        let rows: [Outcome] = try await host.query(
            """
            SELECT id, notification_id, alert_id, kind, status, response, last_error, execution_time, sent_time IS NOT NULL AS sent
            FROM deliveries WHERE result_published IS NULL AND (sent_time IS NOT NULL OR gave_up) ORDER BY id LIMIT 500
            """)
        var published: [Int] = []
        for row in rows {
            guard let alert = row.alert_id else { published.append(row.id); continue }
            // Tactical RMM: the answer's text and status; an exception's text with 500.
            let failed = !row.sent && (row.status ?? 0) == 0
            let payload: JSON = [
                "notification_id": .number(Double(row.notification_id)), "alert_id": .number(Double(alert)), "kind": .string(row.kind),
                "channel": "webhook", "stdout": .string(failed ? (row.last_error ?? "") : (row.response ?? "")), "stderr": "",
                "retcode": .number(Double(failed ? 500 : (row.status ?? 500))), "execution_time": .string(row.execution_time ?? "0.0000"),
            ]
            do {
                try host.publish(event: "urlaction.alert_action.result", json: payload)
                published.append(row.id)
            } catch { host.log(.warning, "publishing urlaction.alert_action.result #\(row.notification_id): \(error)") }
        }
        if !published.isEmpty {
            try await host.execute(
                "UPDATE deliveries SET result_published = now() WHERE id = ANY($1::bigint[])",
                ["{" + published.map(String.init).joined(separator: ",") + "}"])
        }
        return published.count
    }

    /// Drops finished deliveries older than retention_days (their attempts with them).
    func prune() async throws {
        guard config.retentionDays > 0 else { return }
        try await host.execute(
            """
            DELETE FROM deliveries WHERE result_published IS NOT NULL AND received < now() - make_interval(days => $1::int)
            """, [config.retentionDays])
    }
}
