import PluginKit

/// Delivery on the alert (Plugins/Alerts/README.md): the channel plugins report each attempt
/// of a notification as `<plugin>.delivery` (`notification_id`, `channel`, `target`, `state`
/// sent / retrying / failed, `attempts`, `last_error`); the newest report per notification and
/// target is kept, and GET /alerts/<pk>/ shows them as `deliveries`, so a wrong SMTP password
/// or a webhook answering 500 is visible where the operator looks. State `received` (the
/// channel kept the notification; any other report implies it) only acknowledges: the sweep
/// stops publishing it again (Notifying.swift).
extension Alerts {
    /// The plugins whose `<name>.delivery` events are recorded: the shipped channels.
    static let deliveryReporters = ["alert_email", "alert_sms", "urlaction", "scripting"]

    func deliveryReported(_ event: PluginEvent) async {
        let e = event.json
        guard let id = e["notification_id"]?.intValue, let state = e["state"]?.stringValue,
            ["received", "sent", "retrying", "failed"].contains(state),
            let attempts = e["attempts"]?.intValue, (0...1_000_000).contains(attempts)
        else { return }
        let channel = String((e["channel"]?.stringValue ?? event.name).prefix(64))
        let target = String((e["target"]?.stringValue ?? "").prefix(256))
        let error = e["last_error"]?.stringValue.map { String($0.prefix(2000)) }
        do {
            // Reports may arrive out of order: an older attempt never overwrites a newer one,
            // and "sent" is final.
            try await host.execute(
                """
                WITH received AS (UPDATE notifications SET received_time = now() WHERE id = $1 AND received_time IS NULL)
                INSERT INTO deliveries (notification_id, target, channel, state, attempts, last_error)
                SELECT $1, $2, $3, $4, $5, $6 WHERE $4 <> 'received' AND EXISTS (SELECT 1 FROM notifications WHERE id = $1)
                ON CONFLICT (notification_id, target) DO UPDATE SET
                    state = EXCLUDED.state, attempts = EXCLUDED.attempts, last_error = EXCLUDED.last_error, updated = now()
                WHERE deliveries.attempts <= EXCLUDED.attempts AND deliveries.state <> 'sent'
                """, [id, target, channel, state, attempts, error])
        } catch { host.log(.warning, "recording the delivery of notification #\(id): \(error)") }
    }

    /// The alert's notifications with their delivery: `queued` (not handed to the channels
    /// yet), `published` (handed over, not acknowledged yet), `received` (kept by a channel,
    /// no attempt yet), or the channel's last report.
    func deliveries(ofAlert id: Int) async throws -> JSON {
        let rows = try await host.queryRows(
            """
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'notification', n.id, 'kind', n.kind, 'channel', n.channel, 'to', nullif(d.target, ''),
                       'state', coalesce(d.state, CASE WHEN n.received_time IS NOT NULL THEN 'received' WHEN n.published_time IS NULL THEN 'queued' ELSE 'published' END),
                       'attempts', coalesce(d.attempts, 0), 'last_error', d.last_error,
                       'updated', to_char(coalesce(d.updated, n.created) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
                   ORDER BY n.id, d.target), '[]'::jsonb) AS d
            FROM notifications n LEFT JOIN deliveries d ON d.notification_id = n.id
            WHERE n.alert_id = $1
            """, [id])
        return rows.first?["d"] ?? []
    }
}
