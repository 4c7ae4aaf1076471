import PluginKit
import ScriptingCore
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The `scripting.import-trmm` job kind: `garrison import-trmm --apply` hands this plugin Tactical RMM's
/// `scripts_script` and `scripts_scriptsnippet` rows (docs/switching-from-tactical-rmm.md,
/// "Plugin data"). Ids are kept; everything is written in one statement, so the part is
/// imported whole or not at all, and a rerun skips what is already there.
extension Scripting {
    func registerImport(_ r: Registrar) throws {
        try r.jobKind("scripting.import-trmm") { run in try await self.importTRMM(run.payload) }
    }

    func importTRMM(_ payload: JSON) async throws -> JSON {
        var problems: [JSON] = []
        func problem(_ table: String, _ row: JSON, _ message: String, _ outcome: String = "skipped") {
            let id = row["id"]?.intValue.map(String.init) ?? "?"
            problems.append([
                "table": .string(table), "row": .string("id \(id)"), "message": .string(message), "outcome": .string(outcome),
            ])
        }
        func strings(_ value: JSON?) -> JSON { .array((value?.arrayValue ?? []).filter { $0.stringValue != nil }) }
        var names = Set<String>()
        var scripts: [JSON] = []
        for row in payload["scripts"]?.arrayValue ?? [] {
            guard let id = row["id"]?.intValue else { continue }
            let shellName = row["shell"]?.stringValue ?? ""
            guard ScriptShell(rawValue: shellName) != nil else {
                problem("scripts_script", row, "shell \(shellName) is not one Garrison runs"); continue
            }
            var name = row["name"]?.stringValue ?? ""
            if name.isEmpty { name = "Script \(id)" }
            if !names.insert(name).inserted {
                let renamed = "\(name) (\(id))"
                problem("scripts_script", row, "a second script named \(name) (Garrison's names are unique)", "imported as \(renamed)")
                name = renamed
                names.insert(name)
            }
            let timeout = row["default_timeout"]?.intValue ?? 90
            scripts.append([
                "id": .number(Double(id)), "name": .string(name), "description": .string(row["description"]?.stringValue ?? ""),
                "category": .string(row["category"]?.stringValue ?? ""), "shell": .string(shellName),
                "code": .string(row["script_body"]?.stringValue ?? ""), "args": strings(row["args"]), "env_vars": strings(row["env_vars"]),
                "default_timeout": .number(Double((1...86_400).contains(timeout) ? timeout : 90)),
                "supported_platforms": strings(row["supported_platforms"]), "run_as_user": .bool(row["run_as_user"]?.boolValue ?? false),
                "syntax": .string(row["syntax"]?.stringValue ?? ""), "favorite": .bool(row["favorite"]?.boolValue ?? false),
                "hidden": .bool(row["hidden"]?.boolValue ?? false), "created_by": .string(row["created_by"]?.stringValue ?? ""),
            ])
        }
        var snippets: [JSON] = []
        for row in payload["snippets"]?.arrayValue ?? [] {
            guard let id = row["id"]?.intValue else { continue }
            let name = row["name"]?.stringValue ?? ""
            let shellName = row["shell"]?.stringValue ?? ""
            guard Snippet.isValidName(name) else { problem("scripts_scriptsnippet", row, "name \(name) is not a valid snippet name"); continue }
            guard ScriptShell(rawValue: shellName) != nil else {
                problem("scripts_scriptsnippet", row, "shell \(shellName) is not one Garrison runs"); continue
            }
            snippets.append([
                "id": .number(Double(id)), "name": .string(name), "description": .string(row["desc"]?.stringValue ?? ""),
                "shell": .string(shellName), "code": .string(row["code"]?.stringValue ?? ""),
            ])
        }
        let maxScript = scripts.compactMap { $0["id"]?.intValue }.max() ?? 1
        let maxSnippet = snippets.compactMap { $0["id"]?.intValue }.max() ?? 1
        let scriptColumns = "id, name, description, category, shell, code, args, env_vars, default_timeout, supported_platforms, run_as_user, syntax, favorite, hidden, created_by"
        struct Counts: Decodable { let scripts: Int; let snippets: Int }
        let counts = try await host.query(
            """
            WITH s AS (
                INSERT INTO scripts (\(scriptColumns))
                SELECT \(scriptColumns) FROM jsonb_populate_recordset(NULL::scripts, $1::text::jsonb) ON CONFLICT DO NOTHING RETURNING id
            ), n AS (
                INSERT INTO snippets (id, name, description, shell, code)
                SELECT id, name, description, shell, code FROM jsonb_populate_recordset(NULL::snippets, $2::text::jsonb)
                ON CONFLICT DO NOTHING RETURNING id
            )
            SELECT (SELECT count(*) FROM s)::int AS scripts, (SELECT count(*) FROM n)::int AS snippets,
                   setval(pg_get_serial_sequence('scripts', 'id'), greatest($3::bigint, (SELECT coalesce(max(id), 1) FROM scripts))) AS a,
                   setval(pg_get_serial_sequence('snippets', 'id'), greatest($4::bigint, (SELECT coalesce(max(id), 1) FROM snippets))) AS b
            """,
            [
                String(decoding: JSON.array(scripts).jsonBytes, as: UTF8.self), String(decoding: JSON.array(snippets).jsonBytes, as: UTF8.self),
                maxScript, maxSnippet,
            ], as: Counts.self
        ).first
        try? host.audit(
            action: "scripting.import", username: "garrison",
            detail: ["source": "tactical-rmm", "scripts": .number(Double(counts?.scripts ?? 0)), "snippets": .number(Double(counts?.snippets ?? 0))])
        return [
            "counts": [
                "scripts (scripts_script)": .number(Double(counts?.scripts ?? 0)),
                "snippets (scripts_scriptsnippet)": .number(Double(counts?.snippets ?? 0)),
            ],
            "problems": .array(problems),
        ]
    }
}
