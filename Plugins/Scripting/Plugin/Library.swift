import PluginKit
import ScriptingCore
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Scripts and snippets in the plugin's schema, their routes, and export/import as one file.
struct Library: Sendable {
    let host: PluginHost

    static let scriptColumns =
        "id, name, description, category, shell, code, args, env_vars, default_timeout, supported_platforms, run_as_user, syntax, favorite, hidden"

    func script(_ id: Int) async throws -> Script? {
        try await host.query("SELECT \(Self.scriptColumns) FROM scripts WHERE id = $1", [id], as: Script.self).first
    }

    func scripts(ids: [Int]) async throws -> [Int: Script] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await host.query(
            "SELECT \(Self.scriptColumns) FROM scripts WHERE id = ANY($1::bigint[])",
            ["{" + ids.map(String.init).joined(separator: ",") + "}"], as: Script.self)
        return Dictionary(rows.compactMap { s in s.id.map { ($0, s) } }, uniquingKeysWith: { a, _ in a })
    }

    func snippetCodes() async throws -> [String: String] {
        struct Row: Decodable { let name: String; let code: String }
        let rows = try await host.query("SELECT name, code FROM snippets", as: Row.self)
        return Dictionary(rows.map { ($0.name, $0.code) }, uniquingKeysWith: { a, _ in a })
    }

    static func params(_ s: Script) throws -> [any Encodable & Sendable] {
        func encode<T: Encodable>(_ value: T) throws -> String { String(decoding: try JSONEncoder().encode(value), as: UTF8.self) }
        return [
            s.name, s.description, s.category, s.shell.rawValue, s.code, try encode(s.args), try encode(s.envVars), s.defaultTimeout,
            try encode(s.supportedPlatforms), s.runAsUser, s.syntax, s.favorite, s.hidden,
        ]
    }

    static let upsertScript = """
        INSERT INTO scripts (name, description, category, shell, code, args, env_vars, default_timeout, supported_platforms, run_as_user, syntax, favorite, hidden, created_by, modified_by)
        VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::int, $9::jsonb, $10::boolean, $11, $12::boolean, $13::boolean, $14, $14)
        """

    func register(_ r: Registrar) throws {
        try r.route(.get, "/scripts/", permission: "can_list_scripts") { _ in
            try .json(try await host.query("SELECT \(Self.scriptColumns) FROM scripts ORDER BY category, name", as: Script.self))
        }
        try r.route(.post, "/scripts/", permission: "can_manage_scripts") { req in
            let script: Script = try req.json()
            try checked { () throws(ScriptingError) in try script.validate() }
            struct ID: Decodable { let id: Int }
            let rows: [ID]
            do {
                rows = try await host.query(Self.upsertScript + " RETURNING id", try Self.params(script) + [req.username])
            } catch let error as PluginError where error.status == .conflict {
                throw PluginHTTPError(400, "A script named \(script.name) already exists.")
            }
            try? host.audit(
                action: "scripting.script_add", username: req.username, object: "script:\(rows[0].id)",
                detail: ["name": .string(script.name)])
            return try .json(["id": rows[0].id])
        }
        try r.route(.get, "/scripts/<pk>/", permission: "can_list_scripts") { req in
            guard let script = try await script(try req.intParam("pk")) else { throw PluginHTTPError(404, "No such script.") }
            return try .json(script)
        }
        try r.route(.put, "/scripts/<pk>/", permission: "can_manage_scripts") { req in
            try req.requireUnrestrictedScope("Scripts")
            let id = try req.intParam("pk")
            let script: Script = try req.json()
            try checked { () throws(ScriptingError) in try script.validate() }
            struct ID: Decodable { let id: Int }
            let rows: [ID]
            do {
                rows = try await host.query(
                    """
                    UPDATE scripts SET name = $1, description = $2, category = $3, shell = $4, code = $5, args = $6::jsonb, env_vars = $7::jsonb,
                        default_timeout = $8::int, supported_platforms = $9::jsonb, run_as_user = $10::boolean, syntax = $11, favorite = $12::boolean,
                        hidden = $13::boolean, modified_by = $14, modified_time = now()
                    WHERE id = $15 RETURNING id
                    """, try Self.params(script) + [req.username, id])
            } catch let error as PluginError where error.status == .conflict {
                throw PluginHTTPError(400, "A script named \(script.name) already exists.")
            }
            guard !rows.isEmpty else { throw PluginHTTPError(404, "No such script.") }
            try? host.audit(
                action: "scripting.script_modify", username: req.username, object: "script:\(id)", detail: ["name": .string(script.name)])
            return try .json(["id": id])
        }
        try r.route(.delete, "/scripts/<pk>/", permission: "can_manage_scripts") { req in
            try req.requireUnrestrictedScope("Scripts")
            return try await self.delete("script", from: "scripts", req)
        }
        try r.route(.get, "/scripts/<pk>/download/", permission: "can_list_scripts") { req in
            guard let script = try await script(try req.intParam("pk")) else { throw PluginHTTPError(404, "No such script.") }
            return try .json(["filename": "\(script.name).\(Self.fileExtension(script.shell))", "code": script.code])
        }
        try registerSnippets(r)
        try registerExport(r)
    }

    static func fileExtension(_ shell: ScriptShell) -> String {
        switch shell {
        case .powershell: "ps1"
        case .cmd: "bat"
        case .python: "py"
        case .shell: "sh"
        case .nushell: "nu"
        case .deno: "ts"
        }
    }

    func registerSnippets(_ r: Registrar) throws {
        let columns = "id, name, description, shell, code"
        try r.route(.get, "/scripts/snippets/", permission: "can_list_scripts") { _ in
            try .json(try await host.query("SELECT \(columns) FROM snippets ORDER BY name", as: Snippet.self))
        }
        try r.route(.get, "/scripts/snippets/<pk>/", permission: "can_list_scripts") { req in
            guard
                let snippet = try await host.query(
                    "SELECT \(columns) FROM snippets WHERE id = $1", [try req.intParam("pk")], as: Snippet.self
                ).first
            else {
                throw PluginHTTPError(404, "No such snippet.")
            }
            return try .json(snippet)
        }
        try r.route(.post, "/scripts/snippets/", permission: "can_manage_scripts") { req in
            try req.requireUnrestrictedScope("Snippets")
            let snippet: Snippet = try req.json()
            guard Snippet.isValidName(snippet.name) else {
                throw PluginHTTPError(400, "A snippet name may hold only letters, digits, '_' and '-'.")
            }
            struct ID: Decodable { let id: Int }
            do {
                let rows = try await host.query(
                    "INSERT INTO snippets (name, description, shell, code) VALUES ($1, $2, $3, $4) RETURNING id",
                    [snippet.name, snippet.description, snippet.shell.rawValue, snippet.code], as: ID.self)
                try? host.audit(
                    action: "scripting.snippet_add", username: req.username, object: "snippet:\(rows[0].id)",
                    detail: ["name": .string(snippet.name)])
                return try .json(["id": rows[0].id])
            } catch let error as PluginError where error.status == .conflict {
                throw PluginHTTPError(400, "A snippet named \(snippet.name) already exists.")
            }
        }
        try r.route(.put, "/scripts/snippets/<pk>/", permission: "can_manage_scripts") { req in
            try req.requireUnrestrictedScope("Snippets")
            let id = try req.intParam("pk")
            let snippet: Snippet = try req.json()
            guard Snippet.isValidName(snippet.name) else {
                throw PluginHTTPError(400, "A snippet name may hold only letters, digits, '_' and '-'.")
            }
            struct ID: Decodable { let id: Int }
            let rows = try await host.query(
                "UPDATE snippets SET name = $1, description = $2, shell = $3, code = $4 WHERE id = $5 RETURNING id",
                [snippet.name, snippet.description, snippet.shell.rawValue, snippet.code, id], as: ID.self)
            guard !rows.isEmpty else { throw PluginHTTPError(404, "No such snippet.") }
            try? host.audit(
                action: "scripting.snippet_modify", username: req.username, object: "snippet:\(id)", detail: ["name": .string(snippet.name)]
            )
            return try .json(["id": id])
        }
        try r.route(.delete, "/scripts/snippets/<pk>/", permission: "can_manage_scripts") { req in
            try req.requireUnrestrictedScope("Snippets")
            return try await self.delete("snippet", from: "snippets", req)
        }
    }

    /// DELETE of a script or snippet by <pk>: 404 when there is none, audited, and Tactical
    /// RMM's "<name> was deleted" answer.
    func delete(_ noun: String, from table: String, _ req: PluginRequest) async throws -> PluginResponse {
        let id = try req.intParam("pk")
        struct Name: Decodable { let name: String }
        guard let row = try await host.query("DELETE FROM \(table) WHERE id = $1 RETURNING name", [id], as: Name.self).first else {
            throw PluginHTTPError(404, "No such \(noun).")
        }
        try? host.audit(
            action: "scripting.\(noun)_delete", username: req.username, object: "\(noun):\(id)", detail: ["name": .string(row.name)])
        return try .json(JSON.string("\(row.name) was deleted"))
    }

    /// The export file: {"format", "scripts", "snippets"}, sorted by name, without ids, so two
    /// exports of the same library are the same bytes and a diff shows only real changes.
    struct LibraryFile: Codable {
        var format: String
        var scripts: [Script]
        var snippets: [Snippet]
    }

    static let format = "garrison-scripts/1"

    func registerExport(_ r: Registrar) throws {
        try r.route(.get, "/scripts/export/", permission: "can_list_scripts") { _ in
            var scripts = try await host.query("SELECT \(Self.scriptColumns) FROM scripts ORDER BY name", as: Script.self)
            var snippets = try await host.query("SELECT id, name, description, shell, code FROM snippets ORDER BY name", as: Snippet.self)
            for i in scripts.indices { scripts[i].id = nil }
            for i in snippets.indices { snippets[i].id = nil }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let body = try encoder.encode(LibraryFile(format: Self.format, scripts: scripts, snippets: snippets))
            return PluginResponse(
                status: 200, contentType: "application/json", headers: ["Content-Disposition": "attachment; filename=\"scripts.json\""],
                body: body + Data("\n".utf8))
        }
        try r.route(.post, "/scripts/import/", permission: "can_manage_scripts") { req in
            try req.requireUnrestrictedScope("Scripts")
            let file: LibraryFile = try req.json()
            guard file.format == Self.format else { throw PluginHTTPError(400, "format must be \(Self.format).") }
            for script in file.scripts { try checked { () throws(ScriptingError) in try script.validate() } }
            for snippet in file.snippets where !Snippet.isValidName(snippet.name) {
                throw PluginHTTPError(400, "Bad snippet name \(snippet.name).")
            }
            // Matched by name: an import updates what exists and adds the rest, never deletes.
            for script in file.scripts {
                try await host.execute(
                    Self.upsertScript + """
                         ON CONFLICT (name) DO UPDATE SET description = excluded.description, category = excluded.category, shell = excluded.shell,
                            code = excluded.code, args = excluded.args, env_vars = excluded.env_vars, default_timeout = excluded.default_timeout,
                            supported_platforms = excluded.supported_platforms, run_as_user = excluded.run_as_user, syntax = excluded.syntax,
                            favorite = excluded.favorite, hidden = excluded.hidden, modified_by = excluded.modified_by, modified_time = now()
                        """, try Self.params(script) + [req.username])
            }
            for snippet in file.snippets {
                try await host.execute(
                    """
                    INSERT INTO snippets (name, description, shell, code) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (name) DO UPDATE SET description = excluded.description, shell = excluded.shell, code = excluded.code
                    """, [snippet.name, snippet.description, snippet.shell.rawValue, snippet.code])
            }
            try? host.audit(
                action: "scripting.import", username: req.username,
                detail: ["scripts": .number(Double(file.scripts.count)), "snippets": .number(Double(file.snippets.count))])
            return try .json(["scripts": file.scripts.count, "snippets": file.snippets.count])
        }
    }
}
