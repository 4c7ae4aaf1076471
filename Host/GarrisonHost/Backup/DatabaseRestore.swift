import Foundation
import Logging

/// Restores a dump into an empty database as the host's role (never a superuser), so that
/// every object has the owner it had. Core objects are restored by the host's role; each
/// plugin schema by pg_restore's `--role` as the plugin's own role, which is made first
/// when the cluster lacks it (roles are cluster-wide: a per-database dump does not hold
/// them). Plugin roles get no password here: the first start sets it (PluginRoleLogin).
/// Each pg_restore run is one transaction that stops at the first error.
final class DatabaseRestore {
    let conninfo: String
    let manifest: BackupManifest
    let tools: PostgresClientTools
    let work: URL
    private var createdRoles: [String] = []
    private var changed = false

    init(conninfo: String, manifest: BackupManifest, tools: PostgresClientTools, work: URL) {
        self.conninfo = conninfo
        self.manifest = manifest
        self.tools = tools
        self.work = work
    }

    func run(dump: URL) throws {
        let plugins = manifest.pluginSchemas()
        let connection = try PGConnection(conninfo: conninfo)
        for role in Set(plugins.map(\.owner)).sorted() {
            if try connection.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]).rows.isEmpty {
                try connection.query("CREATE ROLE \(quoteIdentifier(role)) LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
                createdRoles.append(role)
            }
            if try connection.query("SELECT pg_has_role(current_user, $1, 'MEMBER') AS member", [role]).first?.bool("member") != true {
                try connection.query("GRANT \(quoteIdentifier(role)) TO CURRENT_USER")
            }
        }
        changed = true
        // The plugin schemas are made here, owned by their roles; pg_restore's own CREATE
        // SCHEMA for them is left out of the core run, which would make the host own them.
        for schema in plugins {
            try connection.query("CREATE SCHEMA \(quoteIdentifier(schema.name)) AUTHORIZATION \(quoteIdentifier(schema.owner))")
        }
        let listed = try pgRestore(["--list", dump.path])
        let pluginNames = Set(plugins.map(\.name))
        let list = listed.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            // "5; 2615 16816 SCHEMA - plugin_check plugin_check"
            let parts = line.split(separator: " ")
            if parts.count >= 6, parts[3] == "SCHEMA", parts[4] == "-", pluginNames.contains(String(parts[5])) { return ";" + line }
            return String(line)
        }.joined(separator: "\n")
        let listFile = work.appendingPathComponent("core.list")
        try SecretFile.write(list, to: listFile)
        let common = ["--no-owner", "--single-transaction", "--exit-on-error"]
        _ = try pgRestore(
            common + ["--use-list=\(listFile.path)"] + plugins.map { "--exclude-schema=\($0.name)" } + [dump.path], restore: true)
        for schema in plugins {
            _ = try pgRestore(common + ["--schema=\(schema.name)", "--role=\(schema.owner)", dump.path], restore: true)
        }
    }

    private func pgRestore(_ arguments: [String], restore: Bool = false) throws -> String {
        let result =
            restore
            ? try tools.run(tools.pgRestore, arguments, conninfo: conninfo)
            : try Subprocess.run(tools.pgRestore, arguments, errorsApart: true)
        guard result.status == 0 else {
            throw BackupError("pg_restore failed (exit \(result.status)): \(result.errors.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return result.output
    }

    /// After a failure in an external database that was empty: drop what the restore made
    /// there (best effort; the error says what to do if this fails too).
    func undo(logger: Logger) {
        guard changed, let connection = try? PGConnection(conninfo: conninfo) else { return }
        do {
            for schema in manifest.schemas where schema.name != "public" {
                try connection.query("DROP SCHEMA IF EXISTS \(quoteIdentifier(schema.name)) CASCADE")
            }
            try connection.execute(
                script: """
                    DO $garrison$
                    DECLARE r record;
                    BEGIN
                        FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') LOOP
                            EXECUTE format('DROP %s IF EXISTS public.%I CASCADE',
                                CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
                                               WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, r.relname);
                        END LOOP;
                        FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' LOOP
                            EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', r.f);
                        END LOOP;
                    END
                    $garrison$;
                    """)
            for role in createdRoles { try connection.query("DROP ROLE IF EXISTS \(quoteIdentifier(role))") }
        } catch {
            logger.error(
                "the failed restore could not be undone; drop and recreate the database before trying again",
                metadata: ["error": "\(error)"])
        }
    }
}
