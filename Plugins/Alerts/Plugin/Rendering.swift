/// An alert as Tactical RMM's AlertSerializer renders it, built by PostgreSQL (jsonb) so a
/// page of alerts costs one statement and no Swift-side tree per row. hostname, agent_id,
/// client and site (names) are left out for alerts without an agent, as there.
enum Rendering {
    static func time(_ column: String) -> String {
        "to_char(a.\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    }

    static let alert: String = {
        let times = [
            "alert_time", "snooze_until", "resolved_on", "email_sent", "resolved_email_sent", "sms_sent", "resolved_sms_sent",
            "action_run", "resolved_action_run",
        ]
        let plain = [
            "id", "assigned_check", "assigned_task", "alert_type", "message", "snoozed", "resolved", "severity", "hidden",
            "action_stdout", "action_stderr", "action_retcode", "action_execution_time",
            "resolved_action_stdout", "resolved_action_stderr", "resolved_action_retcode", "resolved_action_execution_time",
        ]
        let fields = ["'agent', a.agent_pk"] + plain.map { "'\($0)', a.\($0)" } + times.map { "'\($0)', \(time($0))" }
        return """
            (jsonb_build_object(\(fields.joined(separator: ", ")))
             || CASE WHEN a.agent_id IS NULL THEN '{}'::jsonb
                     ELSE jsonb_build_object('hostname', a.hostname, 'agent_id', a.agent_id, 'client', a.client_name, 'site', a.site_name) END)
            """
    }()
}
