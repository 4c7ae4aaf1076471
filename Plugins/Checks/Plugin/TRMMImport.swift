import PluginKit
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The `check.import-trmm` job kind: `garrison import-trmm --apply` hands this plugin Tactical RMM's
/// checks (agents' and policies' own, with their script joined in), their latest results and
/// their history (docs/switching-from-tactical-rmm.md, "Plugin data"). Ids are kept, since
/// agents report results by check id; one statement writes it all, so the part is imported
/// whole or not at all, and a rerun skips what is already there.
extension Checks {
    static let importTypes: Set<String> = ["diskspace", "cpuload", "memory", "ping", "script", "winsvc", "eventlog"]

    func importTRMM(_ payload: JSON) async throws -> JSON {
        var problems: [JSON] = []
        func problem(_ table: String, _ row: JSON, _ message: String, _ outcome: String = "skipped") {
            let id = row["id"]?.intValue.map(String.init) ?? "?"
            problems.append([
                "table": .string(table), "row": .string("id \(id)"), "message": .string(message), "outcome": .string(outcome),
            ])
        }
        func list(_ value: JSON?) -> JSON { .array(value?.arrayValue ?? []) }
        func text(_ value: JSON?) -> JSON { value?.stringValue.map(JSON.string) ?? .null }
        func count(_ value: JSON?, _ range: ClosedRange<Int>, _ fallback: Int) -> Int {
            guard let number = value?.intValue, range.contains(number) else { return fallback }
            return number
        }
        var checks: [JSON] = []
        for row in payload["checks"]?.arrayValue ?? [] {
            guard let id = row["id"]?.intValue else { continue }
            let type = row["check_type"]?.stringValue ?? ""
            guard Self.importTypes.contains(type) else { problem("checks_check", row, "check_type \(type) is unknown"); continue }
            let agent = row["agent_uid"]?.stringValue
            let policy = row["policy_id"]?.intValue
            guard (agent == nil) != (policy == nil) else {
                problem("checks_check", row, "a check belongs to exactly one agent or one policy"); continue
            }
            let warning = row["warning_threshold"]?.intValue ?? 0
            let error = row["error_threshold"]?.intValue ?? 0
            if ["diskspace", "cpuload", "memory"].contains(type) {
                guard (0...100).contains(warning), (0...100).contains(error) else {
                    problem("checks_check", row, "\(type) thresholds \(warning)/\(error) are not percentages (0 to 100)"); continue
                }
            }
            if type == "script", row["script_body"]?.objectValue == nil {
                problem("checks_check", row, "script check without its script"); continue
            }
            var severity = row["alert_severity"]?.stringValue ?? "warning"
            if !["info", "warning", "error"].contains(severity) { severity = "warning" }
            var fields: [String: JSON] = [
                "id": .number(Double(id)), "agent_id": agent.map(JSON.string) ?? .null,
                "agent_pk": row["agent_id"]?.intValue.map { .number(Double($0)) } ?? .null,
                "policy_id": policy.map { .number(Double($0)) } ?? .null, "check_type": .string(type),
                "name": .string(row["name"]?.stringValue ?? ""), "run_interval": .number(Double(count(row["run_interval"], 0...86_400, 0))),
                "alert_severity": .string(severity), "fails_b4_alert": .number(Double(count(row["fails_b4_alert"], 0...1_000, 1))),
                "error_threshold": .number(Double(error)), "warning_threshold": .number(Double(warning)),
                "script": row["script_body"]?.objectValue.map(JSON.object) ?? .null, "script_args": list(row["script_args"]),
                "env_vars": list(row["env_vars"]), "info_return_codes": list(row["info_return_codes"]),
                "warning_return_codes": list(row["warning_return_codes"]), "success_return_codes": list(row["success_return_codes"]),
                "number_of_events_b4_alert": .number(Double(count(row["number_of_events_b4_alert"], 0...1_000_000, 1))),
                "created_by": .string(row["created_by"]?.stringValue ?? ""),
            ]
            for key in ["email_alert", "text_alert", "dashboard_alert", "pass_if_start_pending", "pass_if_svc_not_exist", "restart_if_stopped", "event_id_is_wildcard"] {
                fields[key] = .bool(row[key]?.boolValue ?? false)
            }
            for key in ["disk", "ip", "svc_name", "svc_display_name", "svc_policy_mode", "log_name", "event_type", "event_source", "event_message", "fail_when"] {
                fields[key] = text(row[key])
            }
            for key in ["timeout", "event_id", "search_last_days"] {
                fields[key] = row[key]?.intValue.map { .number(Double(max(0, min($0, 1_000_000_000)))) } ?? .null
            }
            checks.append(.object(fields))
        }
        var results: [JSON] = []
        for row in payload["results"]?.arrayValue ?? [] {
            guard let agent = row["agent_uid"]?.stringValue, let check = row["assigned_check_id"]?.intValue else { continue }
            var status = row["status"]?.stringValue ?? "pending"
            if !["passing", "failing", "pending"].contains(status) { status = "pending" }
            let retcode = row["retcode"]?.intValue.map { max(Int(Int32.min), min(Int(Int32.max), $0)) }
            results.append([
                "agent_id": .string(agent), "check_id": .number(Double(check)), "status": .string(status),
                "alert_severity": text(row["alert_severity"]), "more_info": text(row["more_info"]), "stdout": text(row["stdout"]),
                "stderr": text(row["stderr"]), "retcode": retcode.map { .number(Double($0)) } ?? .null,
                "execution_time": text(row["execution_time"]), "samples": list(row["history"]),
                "extra_details": row["extra_details"] ?? .null, "fail_count": .number(Double(count(row["fail_count"], 0...1_000_000, 0))),
                "last_run": row["last_run"] ?? .null,
            ])
        }
        var history: [JSON] = []
        for row in payload["history"]?.arrayValue ?? [] {
            guard let agent = row["agent_uid"]?.stringValue, let check = row["check_id"]?.intValue, let x = row["x"] else { continue }
            history.append([
                "check_id": .number(Double(check)), "agent_id": .string(agent), "x": x, "y": row["y"] ?? .null, "results": row["results"] ?? .null,
            ])
        }
        let maxID = checks.compactMap { $0["id"]?.intValue }.max() ?? 1
        let checkColumns = """
            id, agent_id, agent_pk, policy_id, check_type, name, run_interval, alert_severity, email_alert, text_alert, dashboard_alert,
            fails_b4_alert, error_threshold, warning_threshold, disk, ip, script, script_args, env_vars, info_return_codes,
            warning_return_codes, success_return_codes, timeout, svc_name, svc_display_name, pass_if_start_pending, pass_if_svc_not_exist,
            restart_if_stopped, svc_policy_mode, log_name, event_id, event_id_is_wildcard, event_type, event_source, event_message,
            fail_when, search_last_days, number_of_events_b4_alert, created_by
            """
        let resultColumns =
            "agent_id, check_id, status, alert_severity, more_info, stdout, stderr, retcode, execution_time, samples, extra_details, fail_count, last_run"
        struct Counts: Decodable { let checks: Int; let results: Int; let history: Int }
        func encoded(_ rows: [JSON]) -> String { String(decoding: JSON.array(rows).jsonBytes, as: UTF8.self) }
        let counts = try await host.query(
            """
            WITH c AS (
                INSERT INTO checks (\(checkColumns))
                SELECT \(checkColumns) FROM jsonb_populate_recordset(NULL::checks, $1::text::jsonb) ON CONFLICT DO NOTHING RETURNING id
            ), r AS (
                INSERT INTO results (\(resultColumns))
                SELECT \(resultColumns.split(separator: ",").map { "x." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", "))
                FROM jsonb_populate_recordset(NULL::results, $2::text::jsonb) x JOIN c ON c.id = x.check_id
                ON CONFLICT DO NOTHING RETURNING 1
            ), h AS (
                INSERT INTO history (check_id, agent_id, x, y, results)
                SELECT x.check_id, x.agent_id, x.x, x.y, x.results FROM jsonb_populate_recordset(NULL::history, $3::text::jsonb) x
                JOIN c ON c.id = x.check_id RETURNING 1
            )
            SELECT (SELECT count(*) FROM c)::int AS checks, (SELECT count(*) FROM r)::int AS results, (SELECT count(*) FROM h)::int AS history,
                   setval(pg_get_serial_sequence('checks', 'id'), greatest($4::bigint, (SELECT coalesce(max(id), 1) FROM checks))) AS s
            """, [encoded(checks), encoded(results), encoded(history), maxID], as: Counts.self
        ).first
        try? host.audit(
            action: "checks.import", username: "garrison",
            detail: ["source": "tactical-rmm", "checks": .number(Double(counts?.checks ?? 0)), "results": .number(Double(counts?.results ?? 0))])
        return [
            "counts": [
                "checks (checks_check, agents' and policies')": .number(Double(counts?.checks ?? 0)),
                "check results (checks_checkresult)": .number(Double(counts?.results ?? 0)),
                "check history (checks_checkhistory)": .number(Double(counts?.history ?? 0)),
            ],
            "problems": .array(problems),
        ]
    }
}
