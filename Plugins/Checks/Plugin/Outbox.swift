import ChecksCore
import Foundation
import PluginKit

/// check.failed and check.resolved leave through the outbox table: written in the same
/// statement as the result that caused them, then claimed (delivered_time set) by exactly
/// one deliverer -- right after the write, or by the check.outbox sweep for anything a
/// restart left behind -- and only then published. So a transition is raised once, and is
/// not lost when the host stops between the result and its delivery. Publishing only queues
/// the event in this process, so one a stop caught in the queue never reached its
/// subscribers: at start the events delivered in the minutes before go out again
/// (`replayRecent`), and subscribers drop a repeat by `event_id`.
extension Checks {
    struct OutboxRow: Decodable, Sendable {
        let id: Int
        let event: String
        let payload: JSON
    }

    /// Claims and publishes events written just now.
    func deliver(_ ids: [Int]) async {
        do {
            let rows: [OutboxRow] = try await host.query(
                """
                UPDATE outbox SET delivered_time = now()
                WHERE id = ANY($1::bigint[]) AND delivered_time IS NULL
                RETURNING id, event, payload
                """, ["{" + ids.map(String.init).joined(separator: ",") + "}"])
            for row in rows.sorted(by: { $0.id < $1.id }) { publish(row) }
        } catch {
            // The sweep delivers them.
            host.log(.warning, "outbox \(ids): \(error)")
        }
    }

    /// Claims and publishes whatever is still undelivered, oldest first.
    @discardableResult
    func deliverPending() async throws -> Int {
        var total = 0
        while true {
            let rows: [OutboxRow] = try await host.query(
                """
                UPDATE outbox SET delivered_time = now() WHERE id IN (
                    SELECT id FROM outbox WHERE delivered_time IS NULL ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED)
                RETURNING id, event, payload
                """)
            for row in rows.sorted(by: { $0.id < $1.id }) { publish(row) }
            total += rows.count
            if rows.count < 500 { return total }
        }
    }

    /// Publishes again what was delivered in the 5 minutes before this start (at most the
    /// last 10,000 events): the alerts plugin drops a repeat by its subject's sequence, the
    /// scripting plugin by the event_id it fired tasks for.
    func replayRecent() async {
        do {
            let rows: [OutboxRow] = try await host.query(
                """
                SELECT id, event, payload FROM (
                    SELECT id, event, payload FROM outbox WHERE delivered_time > now() - interval '5 minutes' ORDER BY id DESC LIMIT 10000
                ) recent ORDER BY id
                """)
            for row in rows { publish(row) }
            if !rows.isEmpty { host.log(.info, "published again the \(rows.count) check events of the 5 minutes before this start") }
        } catch { host.log(.warning, "replaying recent check events: \(error)") }
    }

    func publish(_ row: OutboxRow) {
        var payload = row.payload
        if case .object(var fields) = payload {
            fields["event_id"] = .number(Double(row.id))
            payload = .object(fields)
        }
        do { try host.publish(event: row.event, json: payload) } catch {
            host.log(.error, "publishing \(row.event) #\(row.id): \(error)")
        }
    }

    /// The event a transition raises, for alerting: severity, agent, client, site, check
    /// and output, and the check's alert flags.
    func eventPayload(
        _ transition: FailureCounter.Transition, check: CheckDefinition, agent: AgentFacts,
        evaluation: Evaluation?, failCount: Int
    ) -> (name: String, json: JSON)? {
        let name: String
        switch transition {
        case .none: return nil
        case .failed: name = "check.failed"
        case .resolved: name = "check.resolved"
        }
        var output = evaluation?.moreInfo ?? ""
        if check.check_type == .script, let e = evaluation {
            output = [e.stdout ?? "", e.stderr ?? ""].filter { !$0.isEmpty }.joined(separator: "\n")
        }
        if check.check_type == .eventlog, let e = evaluation {
            output = (e.historyResults.flatMap { try? JSON(parsing: Data($0.text.utf8)) }?.stringValue) ?? ""
        }
        let severity = evaluation?.severity ?? check.alert_severity
        let json: JSON = [
            "check_id": .number(Double(check.id)), "check_name": .string(check.name), "check_type": .string(check.check_type.rawValue),
            "readable_desc": .string(check.readableDescription), "severity": .string(severity.rawValue),
            "agent_id": .string(agent.agentID), "hostname": .string(agent.hostname),
            "client": .number(Double(agent.clientID)), "client_name": .string(agent.clientName),
            "site": .number(Double(agent.siteID)), "site_name": .string(agent.siteName),
            "policy": check.policy_id.map { .number(Double($0)) } ?? .null,
            "status": .string(transition == .failed ? "failing" : "passing"), "output": .string(output),
            "retcode": evaluation?.retcode.map { .number(Double($0)) } ?? .null,
            // A script check's two streams apart, for the alert mail's Stdout: / Stderr:.
            "stdout": check.check_type == .script ? .string(evaluation?.stdout ?? "") : .null,
            "stderr": check.check_type == .script ? .string(evaluation?.stderr ?? "") : .null,
            "fail_count": .number(Double(failCount)), "fails_b4_alert": .number(Double(check.fails_b4_alert)),
            "email_alert": .bool(check.email_alert), "text_alert": .bool(check.text_alert), "dashboard_alert": .bool(check.dashboard_alert),
            "time": .string(ISO8601DateFormatter().string(from: Date())),
        ]
        return (name, json)
    }
}
