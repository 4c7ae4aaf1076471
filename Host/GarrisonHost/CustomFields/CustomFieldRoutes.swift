import Foundation
import Hummingbird

/// `/core/customfields/`: Tactical RMM's custom field definitions. A definition belongs to
/// every client (its values live on all of them), so a role limited to some clients may read
/// the definitions but not change them (docs/compatibility.md §3.1).
enum CustomFieldRoutes {
    static let notFound = "No CustomField matches the given query."

    static func routes(_ host: HostContext) -> [Route] {
        [
            Route(.get, "/core/customfields/", access: .permission("can_view_customfields"), summary: "Custom field definitions (?model=)")
            {
                call in
                let model = try call.query["model"].map { try validModel($0) }
                return Responses.json(.array(try await CustomFieldDefinition.load(host.pool, model: model).map(\.json)))
            },
            Route(
                .patch, "/core/customfields/", access: .permission("can_view_customfields"),
                summary: "The custom field definitions of one model: {\"model\": \"client\" | \"site\" | \"agent\"}"
            ) { call in
                guard let model = try call.object().optionalString("model") else { throw APIError.badRequest("The request was invalid") }
                return Responses.json(.array(try await CustomFieldDefinition.load(host.pool, model: try validModel(model)).map(\.json)))
            },
            Route(.post, "/core/customfields/", access: .permission("can_manage_customfields"), summary: "Add a custom field") { call in
                try call.user.requireUnrestricted("Custom fields")
                let fields = try call.object()
                guard fields.has("model") else { throw APIError.badRequest("Field 'model' is required: client, site or agent.") }
                guard fields.has("name") else { throw APIError.badRequest("Field 'name' is required.") }
                let edit = try Edit(fields)
                let id = try await save(host, call, edit, id: nil)
                await host.audit(call, .add, "customfield", "Added custom field \(edit.values["name"] ?? "") (\(id))")
                return Responses.message("ok")
            },
            Route(.get, "/core/customfields/<pk>/", access: .permission("can_view_customfields"), summary: "One custom field") { call in
                Responses.json(try await load(host, call).json)
            },
            Route(.put, "/core/customfields/<pk>/", access: .permission("can_manage_customfields"), summary: "Change a custom field") {
                call in
                try call.user.requireUnrestricted("Custom fields")
                let before = try await load(host, call)
                let edit = try Edit(try call.object())
                if let model = edit.values["model"] ?? nil, model != before.model {
                    throw APIError.badRequest("Field 'model' cannot change: add a new custom field for \(model) instead.")
                }
                _ = try await save(host, call, edit, id: before.id, renaming: before)
                await host.audit(call, .modify, "customfield", "Modified custom field \(before.name) (\(before.id))", before: before.json)
                return Responses.message("ok")
            },
            Route(
                .delete, "/core/customfields/<pk>/", access: .permission("can_manage_customfields"),
                summary: "Delete a custom field and every value stored for it"
            ) { call in
                try call.user.requireUnrestricted("Custom fields")
                let before = try await load(host, call)
                try await host.pool.transaction { connection in
                    try connection.query("DELETE FROM custom_field_definitions WHERE id = $1", [String(before.id)])
                    try connection.query(
                        "UPDATE \(table(before.model)) SET custom_fields = custom_fields - $1 WHERE custom_fields ? $1", [before.name])
                    try AuditLog.record(
                        .init(call, .delete, "customfield", "Deleted custom field \(before.name) (\(before.id))", before: before.json),
                        on: connection)
                }
                return Responses.message("ok")
            },
        ]
    }

    static func validModel(_ model: String) throws -> String {
        guard CustomFieldDefinition.models.contains(model) else {
            throw APIError.badRequest("\"\(model)\" is not a valid choice for model: client, site or agent.")
        }
        return model
    }

    static func table(_ model: String) -> String { model == "client" ? "clients" : model == "site" ? "sites" : "agents" }

    static func load(_ host: HostContext, _ call: Call) async throws -> CustomFieldDefinition {
        let id = try call.intParam("pk")
        guard
            let row = try await host.pool.query(
                "SELECT \(CustomFieldDefinition.columns) FROM custom_field_definitions WHERE id = $1", [String(id)]
            ).first
        else { throw APIError.notFound(notFound) }
        return CustomFieldDefinition(row)
    }

    /// The writable fields of a definition present in a body, validated, as SQL text values.
    struct Edit {
        var values: [String: String?] = [:]

        init(_ body: FieldReader) throws {
            if body.has("model") { values["model"] = try validModel(try body.string("model")) }
            if body.has("type") {
                let type = try body.string("type")
                guard CustomFieldDefinition.types.contains(type) else {
                    throw APIError.badRequest(
                        "\"\(type)\" is not a valid choice for type: \(CustomFieldDefinition.types.sorted().joined(separator: ", ")).")
                }
                values["type"] = type
            }
            if body.has("name") {
                let name = try body.nonEmptyString("name")
                guard name.count <= 100 else { throw APIError.badRequest("Field 'name' has at most 100 characters.") }
                values["name"] = name
            }
            if body.has("order") { values["\"order\""] = String(try body.int("order", in: 0...1_000_000)) }
            for key in ["options", "default_values_multiple"] where body.has(key) {
                guard let list = try body.optionalStringArray(key) else { values[key] = "[]"; continue }
                guard list.count <= 1000 else { throw APIError.badRequest("Field '\(key)' takes at most 1000 entries.") }
                values[key] = JSON.array(list.map(JSON.string)).databaseText
            }
            for key in ["required", "default_value_bool", "hide_in_ui", "hide_in_summary"] where body.has(key) {
                values[key] = try body.optionalBool(key).map { $0 ? "true" : "false" } ?? "false"
            }
            if body.has("default_value_string") { values["default_value_string"] = try body.optionalString("default_value_string") }
        }
    }

    /// Inserts or updates; a rename also renames the stored values, so none is orphaned.
    static func save(_ host: HostContext, _ call: Call, _ edit: Edit, id: Int?, renaming before: CustomFieldDefinition? = nil) async throws
        -> Int
    {
        let columns = edit.values.keys.sorted()
        do {
            return try await host.pool.transaction { connection in
                var params: [String?] = columns.map { edit.values[$0] ?? nil }
                params.append(call.principal?.name ?? "")
                let user = params.count
                let casts = columns.map { ["options", "default_values_multiple"].contains($0) ? "::jsonb" : "" }
                let newID: Int
                if let id {
                    let sets = zip(columns, casts).enumerated().map { "\($1.0) = $\($0 + 1)\($1.1)" }
                    params.append(String(id))
                    try connection.query(
                        "UPDATE custom_field_definitions SET \((sets + ["modified_by = $\(user)", "modified_time = now()"]).joined(separator: ", ")) WHERE id = $\(params.count)",
                        params)
                    newID = id
                } else {
                    let placeholders = casts.enumerated().map { "$\($0.offset + 1)\($0.element)" }
                    newID = try connection.query(
                        "INSERT INTO custom_field_definitions (\((columns + ["created_by"]).joined(separator: ", "))) VALUES (\((placeholders + ["$\(user)"]).joined(separator: ", "))) RETURNING id",
                        params
                    ).first!.int("id")
                }
                if let before, let renamed = edit.values["name"] ?? nil, renamed != before.name {
                    try connection.query(
                        """
                        UPDATE \(table(before.model)) SET custom_fields = (custom_fields - $1) || jsonb_build_object($2::text, custom_fields -> $1)
                        WHERE custom_fields ? $1
                        """, [before.name, renamed])
                }
                return newID
            }
        } catch let error as DatabaseError where error.isUniqueViolation {
            throw APIError.badRequest("The fields model, name must make a unique set.")
        }
    }
}
