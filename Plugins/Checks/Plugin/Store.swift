import ChecksCore
import Foundation
import PluginKit

/// Rows of the plugin's tables and the SQL that reads and writes checks.
struct ResultRow: Decodable, Sendable {
    let id: Int
    let agent_id: String
    let check_id: Int
    let status: CheckStatus
    let alert_severity: Severity?
    let more_info: String?
    let stdout: String?
    let stderr: String?
    let retcode: Int?
    let execution_time: String?
    let samples: [Int]
    let extra_details: JSON?
    let fail_count: Int
    let alerted: Bool
    let last_run: String?
    let seq: Int
}

struct CheckMeta: Decodable, Sendable {
    let created_by: String
    let created_time: String
    let modified_by: String
    let modified_time: String
}

/// A check row with the agent's result joined in (prefixed r_), for the agent routes and
/// the result path: one query.
struct CheckWithState: Sendable {
    let r_id: Int?
    let r_seq: Int?
    let r_status: CheckStatus?
    let r_fail_count: Int?
    let r_alerted: Bool?
    let r_samples: [Int]?
    let r_last_run_epoch: Double?

    var counter: FailureCounter { FailureCounter(failCount: r_fail_count ?? 0, alerted: r_alerted ?? false) }
}

/// A check's id and row version (DefinitionCache), its definition only when the caller did
/// not already hold that version, and the agent's state. Read from a row parsed by
/// `queryRows` (this runs for every checkrunner call: JSONDecoder took a sixth of it).
struct VersionedCheck: Sendable {
    let id: Int
    let version: String
    let def: CheckDefinition?
    let state: CheckWithState

    init(row: JSON) throws {
        guard let id = row["id"]?.intValue, let version = row["version"]?.stringValue else {
            throw PluginError(.internal, "check row without id or version")
        }
        self.id = id
        self.version = version
        // Only for a check the caller did not hold at this version: rare after the first call.
        if let def = row["def"], !def.isNull {
            self.def = try def.decode(CheckDefinition.self)
        } else {
            self.def = nil
        }
        state = CheckWithState(row: row)
    }
}

extension CheckWithState {
    init(row: JSON) {
        self.init(
            r_id: row["r_id"]?.intValue, r_seq: row["r_seq"]?.intValue,
            r_status: row["r_status"]?.stringValue.flatMap(CheckStatus.init(rawValue:)),
            r_fail_count: row["r_fail_count"]?.intValue, r_alerted: row["r_alerted"]?.boolValue,
            r_samples: row["r_samples"]?.arrayValue.map { $0.compactMap(\.intValue) },
            r_last_run_epoch: row["r_last_run_epoch"]?.doubleValue)
    }
}

enum Store {
    static let writableColumns = [
        "agent_id", "agent_pk", "policy_id", "check_type", "name", "run_interval", "alert_severity", "email_alert", "text_alert",
        "dashboard_alert", "fails_b4_alert", "error_threshold", "warning_threshold", "disk", "ip", "script", "script_args", "env_vars",
        "info_return_codes", "warning_return_codes", "success_return_codes", "timeout", "svc_name", "svc_display_name",
        "pass_if_start_pending", "pass_if_svc_not_exist", "restart_if_stopped", "svc_policy_mode", "log_name", "event_id",
        "event_id_is_wildcard", "event_type", "event_source", "event_message", "fail_when", "search_last_days",
        "number_of_events_b4_alert", "assigned_tasks",
    ]

    /// `writableColumns`' values for `c`, in order.
    static func values(_ c: CheckDefinition) -> [any Encodable & Sendable] {
        [
            c.agent_id, c.agent_pk, c.policy_id, c.check_type.rawValue, c.name, c.run_interval, c.alert_severity.rawValue, c.email_alert,
            c.text_alert, c.dashboard_alert, c.fails_b4_alert, c.error_threshold, c.warning_threshold, c.disk, c.ip, c.script,
            c.script_args,
            c.env_vars, c.info_return_codes, c.warning_return_codes, c.success_return_codes, c.timeout, c.svc_name, c.svc_display_name,
            c.pass_if_start_pending, c.pass_if_svc_not_exist, c.restart_if_stopped, c.svc_policy_mode, c.log_name?.rawValue, c.event_id,
            c.event_id_is_wildcard, c.event_type?.rawValue, c.event_source, c.event_message, c.fail_when?.rawValue, c.search_last_days,
            c.number_of_events_b4_alert, c.assigned_tasks,
        ]
    }

    static var insertSQL: String {
        let placeholders = writableColumns.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
        return
            "INSERT INTO checks (\(writableColumns.joined(separator: ", ")), created_by, modified_by) VALUES (\(placeholders), $\(writableColumns.count + 1), $\(writableColumns.count + 1)) RETURNING *"
    }

    static var updateSQL: String {
        let sets = writableColumns.enumerated().map { "\($1) = $\($0 + 2)" }.joined(separator: ", ")
        return "UPDATE checks SET \(sets), modified_by = $\(writableColumns.count + 2), modified_time = now() WHERE id = $1 RETURNING *"
    }

    static let stateColumns = """
        r.id AS r_id, r.seq AS r_seq, r.status AS r_status, r.fail_count AS r_fail_count, r.alerted AS r_alerted,
        r.samples AS r_samples, extract(epoch FROM r.last_run)::float8 AS r_last_run_epoch
        """

    /// Every check of an agent and of the policies given, with the agent's result state:
    /// the whole of a checkrunner GET in one indexed query. $3/$4: the ids and versions the
    /// caller holds, whose definitions are not sent again.
    static let agentChecksSQL = """
        SELECT c.id, \(DefinitionCache.versionSQL) AS version,
               CASE WHEN (c.id, \(DefinitionCache.versionSQL)) IN (SELECT * FROM unnest($3::bigint[], $4::text[])) THEN NULL ELSE to_jsonb(c) END AS def,
               \(stateColumns)
        FROM checks c LEFT JOIN results r ON r.check_id = c.id AND r.agent_id = $1
        WHERE c.agent_id = $1 OR c.policy_id = ANY($2::bigint[])
        """

    /// An operator reset: passing, count cleared, and check.resolved if an alert was open.
    static let resetSQL = """
        WITH up AS (
            UPDATE results SET status = 'passing', alert_severity = NULL, fail_count = 0, alerted = false, seq = seq + 1
            WHERE id = $1 AND seq = $2 RETURNING id
        ), box AS (
            INSERT INTO outbox (event, payload) SELECT $3, $4::jsonb FROM up WHERE $3::text IS NOT NULL RETURNING id
        )
        SELECT up.id, (SELECT id FROM box) AS outbox_id FROM up
        """
}

struct WriteOutcome: Decodable, Sendable {
    let id: Int
    let outbox_id: Int?
}
