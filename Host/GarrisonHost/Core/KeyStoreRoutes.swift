import Foundation
import Hummingbird

/// `/core/keystore/`: the global key store (docs/compatibility.md §2.8), name/value pairs that
/// scripts read as `{{global.<name>}}`. Values are often secrets: the audit log names the key
/// and never holds its value.
enum KeyStoreRoutes {
    static func routes(_ host: HostContext) -> [Route] {
        [
            Route(.get, "/core/keystore/", access: .permission("can_view_global_keystore"), summary: "Global key store") { _ in
                let rows = try await host.pool.query(
                    "SELECT id, name, value, created_by, created_time, modified_by, modified_time FROM global_keystore ORDER BY name")
                return Responses.json(.array(rows.rows.map(render)))
            },
            Route(.post, "/core/keystore/", access: .permission("can_edit_global_keystore"), summary: "Add a key") { call in
                try await GrantRules.checked(call, host, "keystore") {
                    try call.user.requireUnrestricted("Global keys (read by every client's scripts)")
                }
                let body = try call.object()
                let name = try validName(try body.nonEmptyString("name"))
                let value = try body.string("value")
                do {
                    try await host.pool.query(
                        "INSERT INTO global_keystore (name, value, created_by, modified_by) VALUES ($1, $2, $3, $3)",
                        [name, value, call.principal?.name ?? ""])
                } catch let error as DatabaseError where error.isUniqueViolation {
                    throw APIError.badRequest("The key store already has a key named \(name).")
                }
                await host.audit(call, .add, "keystore", "Added global key \(name)")
                return Responses.message("ok")
            },
            Route(.put, "/core/keystore/<pk>/", access: .permission("can_edit_global_keystore"), summary: "Change a key") { call in
                try await GrantRules.checked(call, host, "keystore") {
                    try call.user.requireUnrestricted("Global keys (read by every client's scripts)")
                }
                let id = try call.intParam("pk")
                let body = try call.object()
                let name = try body.optionalString("name").map(validName)
                let value = try body.optionalString("value")
                let changed: Int
                do {
                    changed = try await host.pool.query(
                        """
                        UPDATE global_keystore SET name = coalesce($2, name), value = coalesce($3, value), modified_by = $4, modified_time = now() WHERE id = $1
                        """, [String(id), name, value, call.principal?.name ?? ""]
                    ).affectedRows
                } catch let error as DatabaseError where error.isUniqueViolation {
                    throw APIError.badRequest("The key store already has a key with that name.")
                }
                guard changed == 1 else { throw APIError.notFound("No key \(id).") }
                await host.audit(call, .modify, "keystore", "Modified global key \(id)" + (name.map { " (now \($0))" } ?? ""))
                return Responses.message("ok")
            },
            Route(.delete, "/core/keystore/<pk>/", access: .permission("can_edit_global_keystore"), summary: "Delete a key") { call in
                try await GrantRules.checked(call, host, "keystore") {
                    try call.user.requireUnrestricted("Global keys (read by every client's scripts)")
                }
                let id = try call.intParam("pk")
                guard let row = try await host.pool.query("DELETE FROM global_keystore WHERE id = $1 RETURNING name", [String(id)]).first
                else {
                    throw APIError.notFound("No key \(id).")
                }
                await host.audit(call, .delete, "keystore", "Deleted global key \(row.string("name"))")
                return Responses.message("ok")
            },
        ]
    }

    /// What `{{global.<name>}}` can spell: letters, digits, `_`, `-` and `.`.
    static func validName(_ name: String) throws -> String {
        guard name.count <= 255,
            name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_-.".unicodeScalars.contains($0)) })
        else {
            throw APIError.badRequest("A key name may hold only letters, digits, '_', '-' and '.'.")
        }
        return name
    }

    static func render(_ row: PGRow) -> JSON {
        [
            "id": .init(row.int("id")), "name": .init(row.string("name")), "value": .init(row.string("value")),
            "created_by": .init(row.string("created_by")), "created_time": .init(row.string("created_time")),
            "modified_by": .init(row.string("modified_by")), "modified_time": .init(row.string("modified_time")),
        ]
    }
}
