import Foundation
import Hummingbird

/// `/core/jobs/`: every schedule with its next and last run, last result and failures,
/// and each schedule's run history.
enum ScheduleRoutes {
    static func render(_ row: PGRow) -> JSON {
        [
            "id": .init(row.string("id")), "owner": .init(row.string("owner")), "kind": .init(row.string("kind")),
            "schedule": .fromDatabase(row["spec"]), "payload": .fromDatabase(row["payload"], fallback: [:]),
            "agent_id": .init(row["agent_id"]),
            "enabled": .init(row.bool("enabled")), "max_attempts": .init(row.int("max_attempts")), "next_run": .init(row["next_run"]),
            "last_run": .init(row["last_run"]), "last_status": .init(row["last_status"]), "last_result": .fromDatabase(row["last_result"]),
            "last_error": .init(row["last_error"]), "failures": .init(row.int("failures")), "runs": .init(row.int("runs")),
            "pending_runs": .init(row.int("pending")),
        ]
    }

    static func renderRun(_ row: PGRow) -> JSON {
        [
            "id": .init(row.int("id")), "state": .init(row.string("state")), "attempt": .init(row.int("attempt")),
            "due_at": .init(row["due_at"]),
            "started_at": .init(row["started_at"]), "finished_at": .init(row["finished_at"]), "agent_id": .init(row["agent_id"]),
            "result": .fromDatabase(row["result"]), "error": .init(row["error"]), "host": .init(row["lease_owner"]),
        ]
    }

    static func routes(_ store: ScheduleStore) -> [Route] {
        [
            Route(
                .get, "/core/jobs/", access: .permission("can_view_schedules"),
                summary: "Scheduled jobs with next and last run, last result and failures"
            ) { _ in
                Responses.json(.array(try await store.list().map(render)))
            },
            Route(
                .get, "/core/jobs/<id>/runs/", access: .permission("can_view_schedules"),
                summary: "A schedule's recent runs (?limit=, default 50)"
            ) { call in
                let limit = min(1000, max(1, call.query["limit"].flatMap(Int.init) ?? 50))
                return Responses.json(.array(try await store.runs(scheduleID: call.param("id"), limit: limit).map(renderRun)))
            },
        ]
    }
}
