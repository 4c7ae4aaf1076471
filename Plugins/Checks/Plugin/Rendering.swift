import ChecksCore
import Foundation
import PluginKit

/// Checks and results as the operator API shows them (Tactical RMM's CheckSerializer and
/// CheckResultSerializer keys).
extension Checks {
    static func json<T: Encodable>(_ value: T) -> JSON {
        (try? JSON(parsing: JSONEncoder().encode(value))) ?? .null
    }

    func checkJSON(_ c: CheckDefinition, meta: CheckMeta?, result: ResultRow? = nil, overridden: Bool = false, includeResult: Bool = false)
        -> JSON
    {
        guard case .object(var fields) = Self.json(c) else { return .null }
        fields["agent"] = c.agent_pk.map { .number(Double($0)) } ?? .null
        fields["policy"] = c.policy_id.map { .number(Double($0)) } ?? .null
        fields["readable_desc"] = .string(c.readableDescription)
        fields["managed_by_policy"] = .bool(c.policy_id != nil)
        fields["overridden_by_policy"] = .bool(overridden)
        fields["assignedtasks"] = .array(c.assigned_tasks.map { .number(Double($0)) })
        if let meta {
            fields["created_by"] = .string(meta.created_by); fields["created_time"] = .string(meta.created_time)
            fields["modified_by"] = .string(meta.modified_by); fields["modified_time"] = .string(meta.modified_time)
        }
        if includeResult { fields["check_result"] = result.map { resultJSON($0) } ?? .object([:]) }
        return .object(fields)
    }

    func resultJSON(_ r: ResultRow) -> JSON {
        func s(_ v: String?) -> JSON { v.map(JSON.string) ?? .null }
        return [
            "id": .number(Double(r.id)), "agent": .string(r.agent_id), "assigned_check": .number(Double(r.check_id)),
            "status": .string(r.status.rawValue), "alert_severity": s(r.alert_severity?.rawValue), "more_info": s(r.more_info),
            "last_run": s(r.last_run), "fail_count": .number(Double(r.fail_count)), "outage_history": .object([:]),
            "extra_details": r.extra_details ?? .null, "stdout": s(r.stdout), "stderr": s(r.stderr),
            "retcode": r.retcode.map { .number(Double($0)) } ?? .null, "execution_time": s(r.execution_time),
            "history": .array(r.samples.map { .number(Double($0)) }),
        ]
    }
}
