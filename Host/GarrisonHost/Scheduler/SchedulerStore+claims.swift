import Foundation

/// The statements behind one scheduler tick. Each is built to be batched: one round trip
/// materializes up to a few hundred due schedules, claims up to a few hundred runs, or
/// completes every run that finished since the last flush.
extension ScheduleStore {
    struct DueSchedule {
        let id: String
        let kind: String
        let owner: String
        let spec: JSON
        let payload: String
        let agentID: String?
        let maxAttempts: Int
        let anchor: Date
        let nextRun: Date
    }

    /// Turns due schedules into runs and moves each schedule's next_run forward. A start
    /// missed by more than `grace` (no host was running) follows the schedule's rule: one
    /// catch-up run now, or none.
    func materialize(now: Date, grace: TimeInterval, limit: Int) async throws -> Int {
        try await pool.transaction { connection in
            let due = try connection.query(
                """
                SELECT id, kind, owner, spec, payload, agent_id, max_attempts,
                       extract(epoch FROM anchor) AS anchor, extract(epoch FROM next_run) AS next_run
                FROM schedules WHERE enabled AND next_run <= $1::timestamptz
                ORDER BY next_run LIMIT $2 FOR UPDATE SKIP LOCKED
                """, [SQLTime.text(now), String(limit)]
            ).rows.map { row in
                DueSchedule(
                    id: row.string("id"), kind: row.string("kind"), owner: row.string("owner"), spec: .fromDatabase(row["spec"]),
                    payload: row.string("payload"), agentID: row["agent_id"], maxAttempts: row.int("max_attempts"),
                    anchor: Date(timeIntervalSince1970: row.double("anchor")), nextRun: Date(timeIntervalSince1970: row.double("next_run")))
            }
            guard !due.isEmpty else { return 0 }
            var runIDs: [String?] = [], runKinds: [String?] = [], runOwners: [String?] = [], runPayloads: [String?] = []
            var runAgents: [String?] = [], runDue: [String?] = [], runNotBefore: [String?] = [], runExpires: [String?] = [],
                runAttempts: [String?] = []
            var nextIDs: [String?] = [], nextTimes: [String?] = []
            for schedule in due {
                guard let spec = try? ScheduleSpec.parse(schedule.spec) else {
                    nextIDs.append(schedule.id); nextTimes.append(nil)
                    continue
                }
                let missed = now.timeIntervalSince(schedule.nextRun) > grace
                let next = spec.next(after: missed ? now : schedule.nextRun, anchor: schedule.anchor)
                nextIDs.append(schedule.id)
                nextTimes.append(next.map(SQLTime.text))
                if missed && spec.missed == .skip { continue }
                let dueAt = missed ? now : schedule.nextRun
                let delay = spec.randomDelaySeconds > 0 ? Double(Int.random(in: 0...spec.randomDelaySeconds)) : 0
                runIDs.append(schedule.id); runKinds.append(schedule.kind); runOwners.append(schedule.owner)
                runPayloads.append(schedule.payload); runAgents.append(schedule.agentID)
                runDue.append(SQLTime.text(dueAt)); runNotBefore.append(SQLTime.text(dueAt.addingTimeInterval(delay)))
                runExpires.append(spec.expiresAt.map(SQLTime.text)); runAttempts.append(String(schedule.maxAttempts))
            }
            if !runIDs.isEmpty {
                try connection.query(
                    """
                    INSERT INTO job_runs (schedule_id, kind, owner, payload, agent_id, due_at, not_before, expires_at, max_attempts)
                    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::timestamptz[], $9::int[])
                    ON CONFLICT (schedule_id) WHERE state IN ('pending', 'running') AND schedule_id IS NOT NULL DO NOTHING
                    """,
                    [
                        PGArray.literal(optional: runIDs), PGArray.literal(optional: runKinds), PGArray.literal(optional: runOwners),
                        PGArray.literal(optional: runPayloads), PGArray.literal(optional: runAgents), PGArray.literal(optional: runDue),
                        PGArray.literal(optional: runNotBefore), PGArray.literal(optional: runExpires),
                        PGArray.literal(optional: runAttempts),
                    ])
            }
            try connection.query(
                """
                UPDATE schedules s SET next_run = n.next_run FROM unnest($1::text[], $2::timestamptz[]) AS n(id, next_run) WHERE s.id = n.id
                """, [PGArray.literal(optional: nextIDs), PGArray.literal(optional: nextTimes)])
            return due.count
        }
    }

    /// Claims up to `limit` ready runs of the given kinds under a lease. A run aimed at an
    /// agent is ready only while that agent is online; until then it simply waits.
    func claim(host: String, kinds: [String], now: Date, lease: TimeInterval, limit: Int) async throws -> [JobRun] {
        guard limit > 0, !kinds.isEmpty else { return [] }
        let rows = try await pool.query(
            """
            UPDATE job_runs r SET state = 'running', lease_owner = $1, lease_until = $2::timestamptz + make_interval(secs => $3),
                   attempt = r.attempt + 1, started_at = $2::timestamptz
            WHERE r.id IN (
                SELECT j.id FROM job_runs j
                WHERE j.state = 'pending' AND j.not_before <= $2::timestamptz AND j.kind = ANY($5::text[])
                  AND (j.expires_at IS NULL OR j.expires_at > $2::timestamptz)
                  AND (j.agent_id IS NULL OR EXISTS (
                        SELECT 1 FROM agents a WHERE a.agent_id = j.agent_id
                        AND a.last_seen > $2::timestamptz - make_interval(mins => a.offline_time)))
                ORDER BY j.not_before LIMIT $4 FOR UPDATE SKIP LOCKED)
            RETURNING r.id, r.schedule_id, r.owner, r.kind, r.payload, r.agent_id, r.attempt, extract(epoch FROM r.due_at) AS due_at
            """, [host, SQLTime.text(now), String(lease), String(limit), PGArray.literal(optional: kinds)]
        ).rows
        return rows.map { row in
            JobRun(
                runID: row.int("id"), scheduleID: row["schedule_id"], owner: row.string("owner"), kind: row.string("kind"),
                payload: .fromDatabase(row["payload"], fallback: [:]), agentID: row["agent_id"], attempt: row.int("attempt"),
                dueAt: Date(timeIntervalSince1970: row.double("due_at")))
        }
    }

    /// Records finished runs in one statement, and their schedules' last result with them.
    /// A failure goes back to pending with exponential backoff while attempts remain.
    func complete(host: String, _ results: [(runID: Int, outcome: JobOutcome)]) async throws {
        guard !results.isEmpty else { return }
        var ids: [String?] = [], oks: [String?] = [], payloads: [String?] = [], errors: [String?] = []
        for (runID, outcome) in results {
            ids.append(String(runID))
            switch outcome {
            case .succeeded(let value): oks.append("t"); payloads.append(value.databaseText); errors.append(nil)
            case .failed(let message): oks.append("f"); payloads.append(nil); errors.append(String(message.prefix(4000)))
            }
        }
        try await pool.query(
            """
            WITH done AS (
                SELECT * FROM unnest($1::bigint[], $2::boolean[], $3::jsonb[], $4::text[]) AS d(id, ok, result, error)
            ), finished AS (
                UPDATE job_runs r SET
                    state = CASE WHEN d.ok THEN 'succeeded' WHEN r.attempt >= r.max_attempts THEN 'failed' ELSE 'pending' END,
                    not_before = CASE WHEN d.ok OR r.attempt >= r.max_attempts THEN r.not_before
                                      ELSE now() + make_interval(secs => least(300, power(2, r.attempt))) END,
                    finished_at = CASE WHEN d.ok OR r.attempt >= r.max_attempts THEN now() END,
                    result = d.result, error = d.error, lease_owner = NULL, lease_until = NULL
                FROM done d WHERE r.id = d.id AND r.lease_owner = $5 AND r.state = 'running'
                RETURNING r.schedule_id, r.state, r.result, r.error
            )
            UPDATE schedules s SET last_run = now(), last_status = f.state, last_result = f.result, last_error = f.error,
                runs = s.runs + 1,
                failures = CASE WHEN f.state = 'succeeded' THEN 0 WHEN f.state = 'failed' THEN s.failures + 1 ELSE s.failures END
            FROM finished f WHERE s.id = f.schedule_id AND f.state <> 'pending'
            """,
            [
                PGArray.literal(optional: ids), PGArray.literal(optional: oks), PGArray.literal(optional: payloads),
                PGArray.literal(optional: errors), host,
            ])
    }

    /// Keeps leases of long runs alive.
    func extend(host: String, runIDs: [Int], lease: TimeInterval) async throws {
        guard !runIDs.isEmpty else { return }
        try await pool.query(
            "UPDATE job_runs SET lease_until = now() + make_interval(secs => $3) WHERE id = ANY($1::bigint[]) AND lease_owner = $2 AND state = 'running'",
            [PGArray.literal(runIDs), host, String(lease)])
    }

    /// Runs whose host died (lease lapsed) go back to pending, or fail when out of attempts;
    /// pending runs past their expiry are marked expired.
    func reap(now: Date) async throws -> (requeued: Int, expired: Int) {
        try await pool.transaction { connection in
            let requeued = try connection.query(
                """
                UPDATE job_runs SET state = CASE WHEN attempt >= max_attempts THEN 'failed' ELSE 'pending' END,
                    error = 'lease expired: the host running it stopped', lease_owner = NULL, lease_until = NULL,
                    not_before = $1::timestamptz, finished_at = CASE WHEN attempt >= max_attempts THEN $1::timestamptz END
                WHERE id IN (SELECT id FROM job_runs WHERE state = 'running' AND lease_until < $1::timestamptz FOR UPDATE SKIP LOCKED)
                """, [SQLTime.text(now)]
            ).affectedRows
            let expired = try connection.query(
                """
                UPDATE job_runs SET state = 'expired', finished_at = $1::timestamptz, error = 'expired before it could run'
                WHERE id IN (SELECT id FROM job_runs WHERE state = 'pending' AND expires_at <= $1::timestamptz FOR UPDATE SKIP LOCKED)
                """, [SQLTime.text(now)]
            ).affectedRows
            return (requeued, expired)
        }
    }

    /// Seconds until the earliest due schedule or ready run, to sleep no longer than needed.
    func secondsUntilNextWork(now: Date) async throws -> Double? {
        let row = try await pool.query(
            """
            SELECT extract(epoch FROM least(
                (SELECT min(next_run) FROM schedules WHERE enabled AND next_run IS NOT NULL),
                (SELECT min(not_before) FROM job_runs WHERE state = 'pending'))) AS at
            """
        ).first
        guard let at = row?["at"].flatMap(Double.init) else { return nil }
        return at - now.timeIntervalSince1970
    }
}
