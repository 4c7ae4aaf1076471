import Foundation

/// Custom field values between Garrison's store (an object keyed by field name on each client,
/// site and agent) and Tactical RMM's API shapes: `CFValue` lists out, `CFInput` lists in.
enum CustomFieldValues {
    /// Tactical RMM's `custom_fields` for one owner: a `{"id", "field", "<owner>", "value"}` per
    /// defined field that has a value. A value has no id of its own here (one per owner and
    /// field), so its `id` is the field's pk (docs/compatibility.md §3.11).
    static func list(_ stored: JSON?, owner: String, ownerPK: Int, definitions: [CustomFieldDefinition]) -> JSON {
        let values = stored?.objectValue ?? [:]
        return .array(
            definitions.filter { $0.model == owner }.compactMap { definition in
                guard let value = values[definition.name] else { return nil }
                var row: [String: JSON] = [
                    "id": .init(definition.id), "field": .init(definition.id), "value": typed(value, definition.type),
                ]
                row[owner] = .init(ownerPK)
                return .object(row)
            })
    }

    /// `object` (a client, site or agent as the host renders it) with Tactical RMM's list in
    /// place of the stored object; a client's sites too.
    static func restShaped(_ object: JSON, owner: String, definitions: [CustomFieldDefinition]) -> JSON {
        guard case .object(var fields) = object, let pk = fields["id"]?.intValue else { return object }
        fields["custom_fields"] = list(fields["custom_fields"], owner: owner, ownerPK: pk, definitions: definitions)
        if owner == "client", let sites = fields["sites"]?.arrayValue {
            fields["sites"] = .array(sites.map { restShaped($0, owner: "site", definitions: definitions) })
        }
        return .object(fields)
    }

    /// The value as its field's type reads it: a list for `multiple`, a boolean for
    /// `checkbox`, a string (or null) for the rest.
    static func typed(_ value: JSON, _ type: String) -> JSON {
        switch type {
        case "multiple":
            if value.arrayValue != nil { return value }
            return value.stringValue.map { .array([.string($0)]) } ?? .array([])
        case "checkbox":
            if let bool = value.boolValue { return .bool(bool) }
            return .bool(["true", "1", "yes"].contains(value.stringValue?.lowercased() ?? ""))
        default:
            if value.isNull || value.stringValue != nil { return value }
            if let number = value.doubleValue { return .string(number == number.rounded() ? String(Int(number)) : String(number)) }
            return .string(String(decoding: value.serialized(), as: UTF8.self))
        }
    }

    /// What to store for a write's `custom_fields`: nil when the body has none; Garrison's own
    /// object as given; Tactical RMM's `CFInput` list merged into `current` by field name.
    static func storable(_ input: JSON?, owner: String, current: JSON?, pool: DatabasePool) async throws -> JSON? {
        guard let input, !input.isNull else { return nil }
        if input.objectValue != nil { return input }
        guard let rows = input.arrayValue else {
            throw APIError.badRequest(
                "custom_fields must be a list of {\"field\": <pk>, \"string_value\" | \"bool_value\" | \"multiple_value\"}.")
        }
        let definitions = Dictionary(uniqueKeysWithValues: try await CustomFieldDefinition.load(pool, model: owner).map { ($0.id, $0) })
        var merged = current?.objectValue ?? [:]
        for row in rows {
            guard let fieldPK = row["field"]?.intValue, let definition = definitions[fieldPK] else {
                throw APIError.badRequest(
                    "custom_fields: each row needs \"field\", the pk of a custom field of model \(owner) (see /core/customfields/?model=\(owner))."
                )
            }
            if let value = row["multiple_value"], definition.type == "multiple" || row["string_value"] == nil && row["bool_value"] == nil {
                guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                    throw APIError.badRequest("custom_fields: multiple_value of field \(fieldPK) must be a list of strings.")
                }
                merged[definition.name] = value
            } else if let value = row["bool_value"], row["string_value"] == nil {
                guard let bool = value.boolValue else {
                    throw APIError.badRequest("custom_fields: bool_value of field \(fieldPK) must be true or false.")
                }
                merged[definition.name] = .bool(bool)
            } else if let value = row["string_value"] {
                guard value.isNull || value.stringValue != nil else {
                    throw APIError.badRequest("custom_fields: string_value of field \(fieldPK) must be a string.")
                }
                merged[definition.name] = value
            } else {
                throw APIError.badRequest("custom_fields: field \(fieldPK) needs one of string_value, bool_value or multiple_value.")
            }
        }
        return .object(merged)
    }
}
