import ChecksCore
import Foundation
import PluginKit
import Synchronization

/// Group commit for check results. Each PATCH queues its result and waits; a drainer takes
/// everything queued, reads those checks and their states in one statement, evaluates the
/// results in arrival order (several results of one check follow each other in memory), and
/// writes every latest result, chart point and outbox event in one more statement. Under load that is two statements
/// for a whole batch instead of two per result; alone, a batch of one.
final class ResultBatch: Sendable {
    struct Item: Sendable {
        let agent: AgentFacts
        let checkID: Int
        let body: Data
        let attempts: Int
        let reply: CheckedContinuation<Outcome, any Error>
    }

    enum Outcome: Sendable {
        case stored
        /// A 400 with this detail: the result changed nothing.
        case refused(String)
    }

    private struct State {
        var pending: [Item] = []
        var draining = 0
        /// Agent and check pairs in a batch being processed: their next result waits, so
        /// two batches of this host never race for the same state.
        var inFlight: Set<ResultStateCache.Key> = []
    }

    let checks: Checks
    /// Batches in flight at once: one evaluates while the other is in the database. With a
    /// read and a write per batch, one was better (3,225 results/s against 2,488 at 64
    /// connections: smaller batches, twice the statements); since a batch whose states are
    /// cached is one write, two are: 5,700-7,350/s against 4,950-6,800 steady, 4,130 against
    /// 3,670 cold (`garrison-bench checks --ingest-only [--cold]`, five runs each).
    let maxDrainers = 2
    let maxBatch = 400
    private let state = Mutex(State())

    init(checks: Checks) { self.checks = checks }

    func submit(agent: AgentFacts, checkID: Int, body: Data) async throws -> Outcome {
        try await withCheckedThrowingContinuation { reply in
            enqueue([Item(agent: agent, checkID: checkID, body: body, attempts: 0, reply: reply)])
        }
    }

    private func enqueue(_ items: [Item]) {
        let start = state.withLock { s -> Bool in
            s.pending += items
            guard s.draining < maxDrainers else { return false }
            s.draining += 1
            return true
        }
        if start { Task { await drain() } }
    }

    private func drain() async {
        var done: [Item] = []
        while let batch = take(releasing: done) {
            await process(batch)
            done = batch
        }
    }

    /// The next batch: queued items in order, none of an agent and check another batch is
    /// processing; nil (and this drainer stops) when nothing is eligible.
    private func take(releasing done: [Item]) -> [Item]? {
        state.withLock { s -> [Item]? in
            for item in done { s.inFlight.remove(Self.stateKey(item)) }
            var batch: [Item] = [], rest: [Item] = []
            var mine: Set<ResultStateCache.Key> = []
            for item in s.pending {
                let key = Self.stateKey(item)
                if batch.count < maxBatch && (mine.contains(key) || s.inFlight.insert(key).inserted) {
                    mine.insert(key)
                    batch.append(item)
                } else {
                    rest.append(item)
                }
            }
            s.pending = rest
            if batch.isEmpty { s.draining -= 1; return nil }
            return batch
        }
    }

    /// A row of readSQL: its place in the batch and the check (VersionedCheck).
    struct Loaded: Sendable {
        let ord: Int
        let row: VersionedCheck
        init(row: JSON) throws {
            guard let ord = row["ord"]?.intValue else { throw PluginError(.internal, "read row without ord") }
            self.ord = ord
            self.row = try VersionedCheck(row: row)
        }
    }

    /// One row of the write statement's input. JSON parts travel as JSON text (cast in SQL)
    /// so nothing is parsed again on the way.
    struct WriteRow: Encodable, Sendable {
        let ord: Int
        let agent_id: String
        let check_id: Int
        let status: String
        let alert_severity: String?
        let more_info: String?
        let stdout: String?
        let stderr: String?
        let retcode: Int?
        let execution_time: String?
        let samples: [Int]
        let extra_details: String?
        let fail_count: Int
        let alerted: Bool
        let seq: Int
        /// The last result of its agent and check in the batch: the one kept as latest.
        var last: Bool
        /// The check's version the result was evaluated with, and the agent's policies: the
        /// write stores nothing if the check changed or is no longer the agent's.
        let version: String
        let policies: [Int]
        let y: Int?
        let hresults: String?
        let event: String?
        let payload: String?
    }

    struct ReadRow: Encodable, Sendable {
        let ord: Int
        let check_id: Int
        let agent_id: String
        let policies: [Int]
        /// The version of this check the cache holds, if any.
        let known: String?
    }

    /// JSON text of `value`, passed to db_query as one string parameter.
    static func text<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    /// What a result is evaluated against: the check's definition at a version, and the
    /// agent's state for it.
    struct Subject {
        let check: CheckDefinition
        let version: String
        let state: ResultStateCache.State
    }

    /// Each item's subject, by place in the batch. A first attempt whose definition and
    /// state are both cached needs no database; the rest (and every retry, whose cached
    /// state proved stale) are read in one statement.
    private func subjects(_ batch: [Item]) async throws -> [Int: Subject] {
        let definitions = checks.definitions.lookup(batch.map(\.checkID))
        let states = checks.states.lookup(batch.lazy.filter { $0.attempts == 0 }.map(Self.stateKey))
        var subjects: [Int: Subject] = [:]
        var wanted: [ReadRow] = []
        for (ord, item) in batch.enumerated() {
            let held = definitions[item.checkID]
            if item.attempts == 0, let held, let state = states[Self.stateKey(item)] {
                subjects[ord] = Subject(check: held.check, version: held.version, state: state)
            } else {
                wanted.append(
                    ReadRow(
                        ord: ord, check_id: item.checkID, agent_id: item.agent.agentID, policies: item.agent.policyIDs, known: held?.version
                    ))
            }
        }
        guard !wanted.isEmpty else { return subjects }
        let loaded = try await checks.host.queryRows(Self.readSQL, [try Self.text(wanted)]).map(Loaded.init(row:))
        var fresh: [Int: DefinitionCache.Entry] = [:]
        for loadedRow in loaded {
            if let check = DefinitionCache.resolve(loadedRow.row, held: definitions, fresh: &fresh) {
                subjects[loadedRow.ord] = Subject(check: check, version: loadedRow.row.version, state: .init(loadedRow.row.state))
            }
        }
        checks.definitions.store(fresh)
        return subjects
    }

    static func stateKey(_ item: Item) -> ResultStateCache.Key { .init(agentID: item.agent.agentID, checkID: item.checkID) }

    private func process(_ batch: [Item]) async {
        let host = checks.host
        do {
            let byOrd = try await subjects(batch)
            var rows: [WriteRow] = []
            var outcomes: [Int: Outcome] = [:]
            var failing: [Int] = []
            // Each agent and check's state as the batch's results move it, and its last row.
            var chain: [ResultStateCache.Key: ResultStateCache.State] = [:]
            var lastRow: [ResultStateCache.Key: Int] = [:]
            for (ord, item) in batch.enumerated() {
                guard let row = byOrd[ord] else {
                    outcomes[ord] = .refused("Check \(item.checkID) is not one of this agent's checks")
                    continue
                }
                let check = row.check
                let key = Self.stateKey(item)
                // The first result of an agent and check in the batch starts from the stored
                // state; the rest follow it. All are written with one seq, the stored one plus
                // one, and only the last is upserted.
                var state: ResultStateCache.State
                if let chained = chain[key] {
                    state = chained
                } else {
                    state = row.state
                    state.seq += 1
                }
                let evaluation: Evaluation
                do { evaluation = try ResultEvaluator.evaluate(check, body: item.body, samples: state.samples) } catch {
                    outcomes[ord] = .refused("invalid \(check.check_type.rawValue) result: \(error.description)")
                    continue
                }
                let transition = state.counter.apply(evaluation.status, failsBeforeAlert: check.fails_b4_alert)
                if let samples = evaluation.samples { state.samples = samples }
                chain[key] = state
                let event = checks.eventPayload(
                    transition, check: check, agent: item.agent, evaluation: evaluation, failCount: state.counter.failCount)
                if evaluation.status == .failing { failing.append(ord) }
                lastRow[key] = rows.count
                rows.append(
                    WriteRow(
                        ord: ord, agent_id: item.agent.agentID, check_id: check.id, status: evaluation.status.rawValue,
                        alert_severity: evaluation.severity?.rawValue, more_info: evaluation.moreInfo, stdout: evaluation.stdout,
                        stderr: evaluation.stderr, retcode: evaluation.retcode, execution_time: evaluation.executionTime,
                        samples: evaluation.samples ?? [], extra_details: evaluation.extraDetails?.text,
                        fail_count: state.counter.failCount,
                        alerted: state.counter.alerted, seq: state.seq, last: false, version: row.version, policies: item.agent.policyIDs,
                        y: evaluation.historyY,
                        hresults: evaluation.historyResults?.text, event: event?.name, payload: try event.map { try Self.text($0.json) }))
            }
            for index in lastRow.values { rows[index].last = true }
            var retry: [Item] = []
            if !rows.isEmpty {
                // Each row: a stored result (ord) or a written event (outbox_id).
                let written = try await host.queryRows(
                    checks.settings.fastCommit ? Self.fastWriteSQL : Self.writeSQL, [try Self.text(rows)])
                let stored = Set(written.compactMap { $0["ord"]?.intValue })
                var kept: [ResultStateCache.Key: ResultStateCache.State] = [:], stale: [ResultStateCache.Key] = []
                for (key, index) in lastRow {
                    if stored.contains(rows[index].ord) { kept[key] = chain[key] } else { stale.append(key) }
                }
                checks.states.offer(kept)
                checks.states.forget(stale)
                for ord in rows.map(\.ord) {
                    if stored.contains(ord) {
                        outcomes[ord] = .stored
                    } else if batch[ord].attempts < 8 {
                        // The state or the check moved (a reset, an edit, a result through
                        // another host): read both again and evaluate again.
                        let item = batch[ord]
                        retry.append(
                            Item(agent: item.agent, checkID: item.checkID, body: item.body, attempts: item.attempts + 1, reply: item.reply))
                    } else {
                        outcomes[ord] = .refused("too many concurrent results for check \(batch[ord].checkID)")
                    }
                }
                let outbox = written.compactMap { $0["outbox_id"]?.intValue }
                if !outbox.isEmpty { await checks.deliver(outbox) }
            }
            for ord in failing where outcomes[ord].map({ if case .stored = $0 { true } else { false } }) == true {
                if let check = byOrd[ord]?.check { checks.runAssignedTasks(check, agent: batch[ord].agent) }
            }
            for (ord, item) in batch.enumerated() {
                if let outcome = outcomes[ord] { item.reply.resume(returning: outcome) }
            }
            if !retry.isEmpty { enqueue(retry) }
        } catch {
            for item in batch { item.reply.resume(throwing: error) }
        }
    }

    /// The check `c` is the agent's own or one of its policies', for an input row `row` with
    /// agent_id and policies (a JSON array): the read refuses others, and the write stores
    /// nothing for a check that stopped being the agent's since.
    static func ownedSQL(_ row: String) -> String {
        "(c.agent_id = \(row).agent_id OR c.policy_id IN (SELECT jsonb_array_elements_text(\(row).policies)::bigint))"
    }

    /// The checks the batch names, each only if it is the agent's own or one of its
    /// policies', with the agent's state.
    static let readSQL = """
        SELECT q.ord, c.id, \(DefinitionCache.versionSQL) AS version,
               CASE WHEN q.known IS DISTINCT FROM \(DefinitionCache.versionSQL) THEN to_jsonb(c) END AS def, \(Store.stateColumns)
        FROM jsonb_to_recordset($1::text::jsonb) AS q(ord int, check_id bigint, agent_id text, policies jsonb, known text)
        JOIN checks c ON c.id = q.check_id AND \(ownedSQL("q"))
        LEFT JOIN results r ON r.check_id = c.id AND r.agent_id = q.agent_id
        """

    /// Every result of the batch: the latest result of each agent and check (only where the
    /// stored seq is still the one evaluated against -- seq here is that plus one -- and the
    /// check still the version evaluated with, and the agent's), a chart
    /// point per result, and an outbox row per transition -- all in one statement, so they
    /// land together or not at all.
    ///
    /// The commit waits for the WAL to reach the disk: a result answered 200 survives a
    /// crash of PostgreSQL (ChildCrashTests kills it under load and finds every one). With
    /// `fast_commit = true` it does not (`fastWriteSQL`): a disk flush now and then took
    /// 150-200 ms here and set every result's p99, but a PostgreSQL crash then loses the
    /// last fraction of a second of answered results (never part of a batch; agents send
    /// them again on their next run).
    static let writeSQL = writeSQL(waitForFlush: true)
    static let fastWriteSQL = writeSQL(waitForFlush: false)

    static func writeSQL(waitForFlush: Bool) -> String {
        """
        WITH i AS (
            SELECT i.* FROM jsonb_to_recordset($1::text::jsonb) AS i(
                ord int, agent_id text, check_id bigint, status text, alert_severity text, more_info text, stdout text, stderr text,
                retcode int, execution_time text, samples jsonb, extra_details text, fail_count int, alerted boolean, seq bigint,
                last boolean, version text, policies jsonb, y int, hresults text, event text, payload text)
            \(waitForFlush ? "" : "CROSS JOIN (SELECT set_config('synchronous_commit', 'off', true)) AS no_flush_wait")
            JOIN checks c ON c.id = i.check_id AND \(DefinitionCache.versionSQL) = i.version AND \(ownedSQL("i"))
        ), up AS (
            INSERT INTO results AS r (agent_id, check_id, status, alert_severity, more_info, stdout, stderr, retcode, execution_time,
                                      samples, extra_details, fail_count, alerted, last_run, seq)
            SELECT agent_id, check_id, status, alert_severity, more_info, stdout, stderr, retcode, execution_time,
                   coalesce(samples, '[]'), extra_details::jsonb, fail_count, alerted, now(), seq
            FROM i
            -- A state with a seq means a row to update: one that is gone is not made again.
            WHERE last AND (seq = 1 OR EXISTS (SELECT 1 FROM results x WHERE x.agent_id = i.agent_id AND x.check_id = i.check_id))
            ORDER BY agent_id, check_id
            ON CONFLICT (agent_id, check_id) DO UPDATE SET
                status = EXCLUDED.status, alert_severity = EXCLUDED.alert_severity,
                more_info = coalesce(EXCLUDED.more_info, r.more_info), stdout = coalesce(EXCLUDED.stdout, r.stdout),
                stderr = coalesce(EXCLUDED.stderr, r.stderr), retcode = coalesce(EXCLUDED.retcode, r.retcode),
                execution_time = coalesce(EXCLUDED.execution_time, r.execution_time), samples = EXCLUDED.samples,
                extra_details = coalesce(EXCLUDED.extra_details, r.extra_details), fail_count = EXCLUDED.fail_count,
                alerted = EXCLUDED.alerted, last_run = now(), seq = EXCLUDED.seq
            WHERE r.seq = EXCLUDED.seq - 1
            RETURNING r.agent_id, r.check_id
        ), done AS (
            SELECT i.* FROM i JOIN up USING (agent_id, check_id)
        ), point AS (
            INSERT INTO history (check_id, agent_id, x, y, results)
            SELECT check_id, agent_id, clock_timestamp(), y, hresults::jsonb FROM done ORDER BY ord
        ), box AS (
            INSERT INTO outbox (event, payload) SELECT event, payload::jsonb FROM done WHERE event IS NOT NULL ORDER BY ord RETURNING id
        )
        SELECT ord, NULL::bigint AS outbox_id FROM done UNION ALL SELECT NULL, id FROM box
        """
    }
}
