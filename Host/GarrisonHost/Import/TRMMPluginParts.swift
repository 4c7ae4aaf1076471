import Foundation
import Logging

/// The plugins' parts of an import (docs/switching-from-tactical-rmm.md, "Plugin data"): the
/// host reads the rows a plugin owns from the source and runs the plugin's `<plugin>.import-trmm` job
/// kind with them as its payload; the plugin writes its own schema on its own login, in one
/// statement, and answers with its counts and problems. Each finished part is recorded in
/// import_runs, so a rerun resumes with the parts still missing.
extension TRMMImport {
    /// What the target already holds that a plugin's rows refer to.
    struct Context: Sendable {
        /// The imported agents' pks, as a PostgreSQL int[] literal.
        let agents: String
        /// Operators' Garrison ids by username (ids may differ from the source's).
        let users: [String: Int]
    }

    struct PluginPart: Sendable {
        let plugin: String
        /// What the dry run counts in the source.
        let preview: [(what: String, sql: String)]
        let payload: @Sendable (TRMMSource, Context) throws -> JSON
        var part: String { "plugin:\(plugin)" }
        var kind: String { "\(plugin):\(plugin).import-trmm" }
    }

    static let pluginParts: [PluginPart] = [
        PluginPart(
            plugin: "scripting",
            preview: [
                ("scripts (scripts_script)", "SELECT count(*) AS n FROM scripts_script"),
                ("snippets (scripts_scriptsnippet)", "SELECT count(*) AS n FROM scripts_scriptsnippet"),
            ],
            payload: { source, _ in
                [
                    "scripts": .array(try source.rows("SELECT * FROM scripts_script ORDER BY id").map(JSON.object)),
                    "snippets": .array(try source.rows("SELECT * FROM scripts_scriptsnippet ORDER BY id").map(JSON.object)),
                ]
            }),
        PluginPart(
            plugin: "check",
            preview: [
                ("checks (checks_check, agents' and policies')", "SELECT count(*) AS n FROM checks_check WHERE NOT managed_by_policy"),
                ("check results (checks_checkresult)", "SELECT count(*) AS n FROM checks_checkresult"),
            ],
            payload: { source, context in
                let agents = context.agents
                // Only checks of agents the host part imported, and policies' checks.
                let checks = try source.rows(
                    """
                    SELECT c.*, a.agent_id AS agent_uid,
                           CASE WHEN s.id IS NULL THEN NULL ELSE jsonb_build_object(
                               'name', s.name, 'code', s.script_body, 'shell', s.shell, 'run_as_user', s.run_as_user,
                               'env_vars', to_jsonb(coalesce(s.env_vars, '{}')), 'script_hash', coalesce(s.script_hash, '')) END AS script_body
                    FROM checks_check c LEFT JOIN agents_agent a ON a.id = c.agent_id LEFT JOIN scripts_script s ON s.id = c.script_id
                    WHERE NOT c.managed_by_policy AND (c.agent_id IS NULL OR c.agent_id = ANY('\(agents)'::int[]))
                    ORDER BY c.id
                    """)
                let results = try source.rows(
                    """
                    SELECT r.*, a.agent_id AS agent_uid FROM checks_checkresult r JOIN agents_agent a ON a.id = r.agent_id
                    WHERE r.agent_id = ANY('\(agents)'::int[]) ORDER BY r.id
                    """)
                let history =
                    try source.hasTable("checks_checkhistory")
                    ? try source.rows(
                        """
                        SELECT h.check_id, h.agent_id AS agent_uid, h.x, h.y, h.results FROM checks_checkhistory h
                        JOIN agents_agent a ON a.agent_id = h.agent_id WHERE a.id = ANY('\(agents)'::int[]) ORDER BY h.id
                        """) : []
                return [
                    "checks": .array(checks.map(JSON.object)), "results": .array(results.map(JSON.object)),
                    "history": .array(history.map(JSON.object)),
                ]
            }),
        PluginPart(
            plugin: "twofactor",
            preview: [
                (
                    "TOTP enrollments (accounts_user.totp_key)",
                    "SELECT count(*) AS n FROM accounts_user WHERE agent_id IS NULL AND NOT is_installer_user AND coalesce(totp_key, '') <> ''"
                )
            ],
            payload: { source, context in
                let rows = try source.rows(
                    """
                    SELECT id, username, totp_key FROM accounts_user
                    WHERE agent_id IS NULL AND NOT is_installer_user AND coalesce(totp_key, '') <> '' ORDER BY id
                    """)
                return [
                    "users": .array(
                        rows.compactMap { row -> JSON? in
                            guard let name = row["username"]?.stringValue, let id = context.users[name] else { return nil }
                            return [
                                "user_id": .init(id), "source_id": row["id"] ?? .null, "username": .string(name),
                                "totp_key": row["totp_key"] ?? .null,
                            ]
                        })
                ]
            }),
    ]

    /// The dry run's view of the plugin parts: rows in the source.
    static func previewPlugins(_ source: TRMMSource) throws -> [(part: String, counts: [(what: String, count: Int)], skipped: String?)] {
        try pluginParts.map { part in
            let counts = try part.preview.map { (what: $0.what, count: try source.connection.query($0.sql).first?.int("n") ?? 0) }
            return (part.plugin, counts, nil)
        }
    }

    /// Runs every plugin part not yet recorded, each through its plugin's `<plugin>.import-trmm` job.
    /// `jobs` is the registry of a host whose plugins are loaded (the command starts one).
    public static func importPlugins(source conninfo: String, pool: DatabasePool, jobs: JobRegistry, logger: Logger) async throws -> Report {
        let state = try await TargetState.read(pool)
        guard state.done[hostPart] != nil else {
            throw TRMMImportError("the host part is not imported yet; run import-trmm --apply first")
        }
        var report = Report()
        report.applied = true
        report.pluginsOnly = true
        let pending = pluginParts.filter { state.done[$0.part] == nil }
        guard !pending.isEmpty else { return report }
        let agents = "{" + (try await pool.query("SELECT id FROM agents ORDER BY id").rows.map { String($0.int("id")) }).joined(separator: ",") + "}"
        var users: [String: Int] = [:]
        for row in try await pool.query("SELECT id, username FROM users").rows { users[row.string("username")] = row.int("id") }
        let context = Context(agents: agents, users: users)
        let source = try await blocking { () -> TRMMSource in
            let source = try TRMMSource(conninfo: conninfo)
            try source.detectVersion()
            return source
        }
        report.source = TRMMSource.describe(conninfo)
        report.sourceVersion = source.version
        for part in pending {
            guard let handler = jobs.handler(for: part.kind) else {
                report.pluginResults.append(
                    (part.plugin, [], "not imported: the \(part.plugin) plugin is not enabled (plugins.d); enable it and run import-trmm --apply again"))
                continue
            }
            let payload = try await blocking { try part.payload(source, context) }
            let run = JobRun(
                runID: 0, scheduleID: nil, owner: part.plugin, kind: part.kind, payload: payload, agentID: nil, attempt: 1, dueAt: Date())
            switch await handler(run) {
            case .failed(let message):
                throw TRMMImportError(
                    "the \(part.plugin) plugin could not import its part: \(message). Nothing of that part was written; what import_runs lists is in. Fix it and run import-trmm --apply again to resume."
                )
            case .succeeded(let answer):
                let counts = (answer["counts"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { (what: $0.key, count: $0.value.intValue ?? 0) }
                let problems = (answer["problems"]?.arrayValue ?? []).map {
                    Problem(
                        table: $0["table"]?.stringValue ?? "?", row: $0["row"]?.stringValue ?? "?", message: $0["message"]?.stringValue ?? "",
                        outcome: $0["outcome"]?.stringValue ?? "skipped")
                }
                report.problems += problems
                report.pluginResults.append((part.plugin, counts, nil))
                try await pool.query(
                    "INSERT INTO import_runs (part, source, source_version, counts, problems) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (part) DO NOTHING",
                    [
                        part.part, report.source, source.version, String(decoding: (answer["counts"] ?? [:]).serialized(), as: UTF8.self),
                        String(decoding: JSON.array(problems.map(\.json)).serialized(), as: UTF8.self),
                    ])
                logger.notice("imported the \(part.plugin) plugin's part", metadata: ["counts": "\(counts.map { "\($0.what)=\($0.count)" })"])
            }
        }
        return report
    }
}
