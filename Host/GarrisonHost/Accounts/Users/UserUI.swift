import Foundation

/// An operator's dashboard preferences (Tactical RMM's UserUI): `PATCH /accounts/users/ui/`
/// changes the caller's own, `GET /core/dashinfo/` hands them back with the server's flags
/// when the dashboard mounts. Kept as one JSON document per user (`users.ui`, migration 13)
/// with the defaults filled in on read, so a preference the dashboard adds later needs no
/// migration; `block_dashboard_login` stays the users column sign-in reads.
enum UserUI {
    enum Kind {
        case bool
        case choice([String])
        case nonNegativeInt
        /// A URL action's pk or null. The actions live in the URL actions plugin's schema,
        /// which the host does not read: any positive integer is kept.
        case optionalPK
        case string(max: Int)
        case optionalString(max: Int)
    }

    /// Tactical RMM's fields, kinds and defaults, in its order.
    static let fields: [(name: String, kind: Kind, initial: JSON)] = [
        ("dark_mode", .bool, true),
        ("show_community_scripts", .bool, true),
        ("agent_dblclick_action", .choice(["editagent", "takecontrol", "remotebg", "urlaction"]), "editagent"),
        ("url_action", .optionalPK, .null),
        ("default_agent_tbl_tab", .choice(["server", "workstation", "mixed"]), "mixed"),
        ("client_tree_sort", .choice(["alphafail", "alpha"]), "alphafail"),
        ("client_tree_splitter", .nonNegativeInt, 11),
        ("loading_bar_color", .string(max: 255), "red"),
        ("dash_info_color", .string(max: 255), "info"),
        ("dash_positive_color", .string(max: 255), "positive"),
        ("dash_negative_color", .string(max: 255), "negative"),
        ("dash_warning_color", .string(max: 255), "warning"),
        ("clear_search_when_switching", .bool, true),
        ("date_format", .optionalString(max: 30), .null),
    ]

    /// The stored document with every default filled in.
    static func effective(_ stored: JSON?) -> [String: JSON] {
        let kept = stored?.objectValue ?? [:]
        var all: [String: JSON] = [:]
        for field in fields { all[field.name] = kept[field.name] ?? field.initial }
        return all
    }

    /// The fields of `body` checked one by one (Tactical RMM's serializer rules, Garrison's
    /// `{"detail"}` naming the field); `block_dashboard_login` is returned apart. An unknown
    /// field is refused rather than dropped, so a typo does not pass for a saved preference.
    static func validated(_ body: [String: JSON]) throws -> (ui: [String: JSON], blockDashboardLogin: Bool?) {
        var ui: [String: JSON] = [:]
        var block: Bool?
        for (name, value) in body.sorted(by: { $0.key < $1.key }) {
            if name == "block_dashboard_login" {
                guard case .bool(let flag) = value else { throw APIError.badRequest("block_dashboard_login: Must be a valid boolean.") }
                block = flag
                continue
            }
            guard let field = fields.first(where: { $0.name == name }) else {
                throw APIError.badRequest(
                    "\(name): not a dashboard preference; send any of \(fields.map(\.name).joined(separator: ", ")), block_dashboard_login.")
            }
            ui[name] = try check(name, field.kind, value)
        }
        return (ui, block)
    }

    /// A Tactical RMM `accounts_user` row's preferences (its own columns; `url_action_id` for
    /// `url_action`), for the importer. A value this check refuses is left out: the default
    /// then applies.
    static func imported(_ row: [String: JSON]) -> JSON {
        var ui: [String: JSON] = [:]
        for field in fields {
            guard let value = row[field.name == "url_action" ? "url_action_id" : field.name], !(value.isNull && field.initial != .null)
            else { continue }
            if let kept = try? check(field.name, field.kind, value) { ui[field.name] = kept }
        }
        return .object(ui)
    }

    static func check(_ name: String, _ kind: Kind, _ value: JSON) throws -> JSON {
        switch (kind, value) {
        case (.bool, .bool): return value
        case (.bool, _): throw APIError.badRequest("\(name): Must be a valid boolean.")
        case (.choice(let choices), .string(let text)) where choices.contains(text): return value
        case (.choice(let choices), _):
            throw APIError.badRequest("\(name): \(value.jsonText) is not a valid choice; use one of \(choices.joined(separator: ", ")).")
        case (.nonNegativeInt, _):
            guard let number = value.intValue, case .number = value else { throw APIError.badRequest("\(name): A valid integer is required.") }
            guard (0...1_000_000).contains(number) else {
                throw APIError.badRequest("\(name): Ensure this value is between 0 and 1000000.")
            }
            return .number(Double(number))
        case (.optionalPK, .null): return .null
        case (.optionalPK, _):
            guard let pk = value.intValue, case .number = value, (1...Int(Int32.max)).contains(pk) else {
                throw APIError.badRequest("\(name): Incorrect type. Expected pk value or null.")
            }
            return .number(Double(pk))
        case (.optionalString, .null): return .null
        case (.string(let max), .string(let text)), (.optionalString(let max), .string(let text)):
            guard text.count <= max else { throw APIError.badRequest("\(name): Ensure this field has no more than \(max) characters.") }
            return value
        case (.string, .null): throw APIError.badRequest("\(name): This field may not be null.")
        case (.string, _), (.optionalString, _): throw APIError.badRequest("\(name): Not a valid string.")
        }
    }
}
