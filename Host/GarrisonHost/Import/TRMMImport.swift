import Foundation
import Logging

/// `garrison import-trmm` (docs/switching-from-tactical-rmm.md): reads a Tactical RMM
/// database read-only, says what it would import and every problem it sees, and with
/// `apply` writes the host's part -- clients, sites, policies, agents with their ids and
/// tokens, operators, roles, API keys, custom fields, the key store, notes, history, settings
/// -- into an empty Garrison database in one transaction, recorded in `import_runs`.
public enum TRMMImport {
    public struct Problem: Sendable, Equatable {
        public let table: String
        public let row: String
        public let message: String
        /// What the import does with the row: "skipped", or "imported" with a note.
        public let outcome: String

        var json: JSON { ["table": .string(table), "row": .string(row), "message": .string(message), "outcome": .string(outcome)] }
        public var line: String { "\(table) \(row): \(message) -- \(outcome)" }
    }

    public struct Mapping: Sendable, Equatable {
        public let table: String
        public let sourceID: Int
        public let targetID: Int
        var json: JSON { ["table": .string(table), "source_id": .init(sourceID), "target_id": .init(targetID)] }
    }

    public struct Report: Sendable {
        public var source = ""
        public var sourceVersion = ""
        /// Garrison table (and source table) -> rows, in import order.
        public var counts: [(what: String, count: Int)] = []
        public var problems: [Problem] = []
        public var mappings: [Mapping] = []
        public var notImported: [(what: String, reason: String)] = []
        public var applied = false
        public var alreadyDone: [String] = []
        /// A report of the plugins' parts only (importPlugins).
        public var pluginsOnly = false

        public func count(_ what: String) -> Int? { counts.first { $0.what == what }?.count }
        /// Per plugin part: its counts, or why it was not imported.
        public var pluginResults: [(part: String, counts: [(what: String, count: Int)], skipped: String?)] = []

        public var text: String {
            var lines = ["Tactical RMM \(sourceVersion) at \(source)"]
            if pluginsOnly {
                lines = ["Plugins' parts:"]
            } else if alreadyDone.contains(TRMMImport.hostPart) {
                lines.append("The host part was imported before (import_runs); resuming with the plugins' parts.")
            } else {
                lines.append(applied ? "Imported (host part, one transaction):" : "Dry run: nothing was written. Would import:")
                for (what, count) in counts { lines.append("  \(what): \(count)") }
            }
            for plugin in pluginResults {
                if let skipped = plugin.skipped {
                    lines.append("Plugin part \(plugin.part): \(skipped)")
                } else {
                    lines.append("Plugin part \(plugin.part)\(applied ? " (one statement on the plugin's own login)" : ""):")
                    for (what, count) in plugin.counts { lines.append("  \(what): \(count)") }
                }
            }
            lines.append("Problems (\(problems.count)):")
            for problem in problems { lines.append("  " + problem.line) }
            if problems.isEmpty { lines.append("  none") }
            if pluginsOnly { return lines.joined(separator: "\n") }
            lines.append("Ids that changed (\(mappings.count); every other id is kept):")
            for mapping in mappings { lines.append("  \(mapping.table) \(mapping.sourceID) -> \(mapping.targetID)") }
            lines.append("Not imported:")
            for (what, reason) in notImported { lines.append("  \(what): \(reason)") }
            if !applied { lines.append("Run again with --apply to import.") }
            return lines.joined(separator: "\n")
        }
    }

    static let hostPart = "host"

    /// Reads the source and plans the import; with `apply`, writes it. Throws a
    /// TRMMImportError that says what to do when the source or the target is not usable.
    public static func run(source conninfo: String, target pool: DatabasePool, apply: Bool, logger: Logger) async throws -> Report {
        let (plan, report) = try await blocking {
            let source = try TRMMSource(conninfo: conninfo)
            try source.detectVersion()
            var (plan, report) = try TRMMPlan.make(source: source, describe: TRMMSource.describe(conninfo))
            report.pluginResults = try previewPlugins(source)
            return (plan, report)
        }
        var result = report
        let state = try await TargetState.read(pool)
        if let done = state.done[hostPart] {
            let pending = pluginParts.filter { state.done[$0.part] == nil }
            guard !pending.isEmpty else {
                throw TRMMImportError(
                    "this Garrison database already holds an import from \(done) (import_runs); there is nothing left to import. To import again, start from an empty database."
                )
            }
            // Resume: the host part is in; the plugins' parts still missing follow.
            result.alreadyDone.append(hostPart)
            return result
        }
        if let reason = state.notEmpty {
            throw TRMMImportError(
                "the Garrison database is not empty (\(reason)); import-trmm --apply writes only into an empty database. Point database.url at a new database, or a new data folder, and run it again."
            )
        }
        result = try plan.resolveUsers(existing: state.users, report: result)
        guard apply else { return result }
        let planned = result
        try await pool.transaction { connection in try plan.write(connection, report: planned) }
        result.applied = true
        // The plugins' own counts follow from importPlugins; the preview would only repeat them.
        result.pluginResults = []
        logger.notice(
            "imported Tactical RMM \(result.sourceVersion)",
            metadata: [
                "agents": "\(result.count("agents (agents_agent, with tokens for REST and NATS)") ?? 0)", "problems": "\(result.problems.count)",
            ])
        return result
    }

    static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }

    /// What is already in the target.
    struct TargetState {
        var done: [String: String] = [:]
        var notEmpty: String?
        /// (id, username) of existing users: the first-run `admin` may be there.
        var users: [(id: Int, username: String)] = []

        static func read(_ pool: DatabasePool) async throws -> TargetState {
            var state = TargetState()
            for row in try await pool.query("SELECT part, source, source_version, finished FROM import_runs").rows {
                state.done[row.string("part")] =
                    "Tactical RMM \(row.string("source_version")) at \(row.string("source")) on \(row.string("finished"))"
            }
            state.notEmpty = try await emptiness(pool)
            state.users = try await pool.query("SELECT id, username FROM users ORDER BY id").rows.map { ($0.int("id"), $0.string("username")) }
            return state
        }

        static let ownTables = [
            "clients", "sites", "agents", "roles", "api_keys", "policies", "custom_field_definitions", "global_keystore",
        ]

        /// Nil when empty: none of the host's objects, and no operator but the first-run admin.
        static func emptiness(_ pool: DatabasePool) async throws -> String? {
            let counts = ownTables.map { "(SELECT count(*) FROM \($0)) AS \($0)" }.joined(separator: ", ")
            let row = try await pool.query(
                "SELECT \(counts), (SELECT count(*) FROM users WHERE username <> 'admin' OR id <> 1) AS other_users"
            ).first
            for table in ownTables where (row?.int(table) ?? 0) > 0 { return "\(row?.int(table) ?? 0) rows in \(table)" }
            if let others = row?.int("other_users"), others > 0 { return "\(others) operators besides the first-run admin" }
            return nil
        }
    }
}
