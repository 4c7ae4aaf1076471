import Foundation

/// One custom field definition (Tactical RMM's CustomField), read from and written to
/// `custom_field_definitions`.
struct CustomFieldDefinition: Sendable {
    static let models: Set<String> = ["client", "site", "agent"]
    static let types: Set<String> = ["text", "number", "single", "multiple", "checkbox", "datetime"]
    static let columns = """
        id, model, type, name, "order", options, required, default_value_string, default_value_bool, default_values_multiple,
        hide_in_ui, hide_in_summary, created_by, modified_by,
        to_char(created_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_time,
        to_char(modified_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS modified_time
        """

    let id: Int
    let model: String
    let type: String
    let name: String
    let row: PGRow

    init(_ row: PGRow) {
        id = row.int("id")
        model = row.string("model")
        type = row.string("type")
        name = row.string("name")
        self.row = row
    }

    var json: JSON {
        [
            "id": .init(id), "model": .init(model), "type": .init(type), "name": .init(name), "order": .init(row.int("order")),
            "options": .fromDatabase(row["options"], fallback: []), "required": .init(row.bool("required")),
            "default_value_string": .init(row["default_value_string"]), "default_value_bool": .init(row.bool("default_value_bool")),
            "default_values_multiple": .fromDatabase(row["default_values_multiple"], fallback: []),
            "hide_in_ui": .init(row.bool("hide_in_ui")), "hide_in_summary": .init(row.bool("hide_in_summary")),
            "created_by": .init(row["created_by"]), "created_time": .init(row["created_time"]),
            "modified_by": .init(row["modified_by"]), "modified_time": .init(row["modified_time"]),
        ]
    }

    static func load(_ pool: DatabasePool, model: String? = nil) async throws -> [CustomFieldDefinition] {
        let rows =
            if let model {
                try await pool.query("SELECT \(columns) FROM custom_field_definitions WHERE model = $1 ORDER BY \"order\", id", [model])
            } else {
                try await pool.query("SELECT \(columns) FROM custom_field_definitions ORDER BY \"order\", id")
            }
        return rows.rows.map(CustomFieldDefinition.init)
    }
}
