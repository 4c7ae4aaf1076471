import Foundation

/// Global settings (`/core/settings/`), stored as one JSON document. Every key has a default
/// and a type; a PUT with an unknown key or a wrong type is refused with the key named.
enum CoreSettings {
    enum Kind { case string, int, bool, stringList }

    static let schema: [(key: String, kind: Kind, fallback: JSON)] = [
        ("smtp_from_email", .string, ""), ("smtp_from_name", .string, ""), ("smtp_host", .string, ""),
        ("smtp_host_user", .string, ""), ("smtp_host_password", .string, ""), ("smtp_port", .int, 587),
        ("smtp_requires_auth", .bool, true), ("email_alert_recipients", .stringList, []),
        ("twilio_number", .string, ""), ("twilio_account_sid", .string, ""), ("twilio_auth_token", .string, ""),
        ("sms_alert_recipients", .stringList, []),
        ("mesh_site", .string, ""), ("mesh_username", .string, ""), ("mesh_token", .string, ""),
        ("mesh_device_group", .string, "TacticalRMM"), ("mesh_company_name", .string, .null), ("sync_mesh_with_trmm", .bool, true),
        ("agent_auto_update", .bool, false), ("default_time_zone", .string, "UTC"),
        ("check_history_prune_days", .int, 30), ("resolved_alerts_prune_days", .int, 0), ("agent_history_prune_days", .int, 60),
        ("debug_log_prune_days", .int, 30), ("audit_log_prune_days", .int, 0), ("job_run_prune_days", .int, 14),
        ("clear_faults_days", .int, 0),
        ("agent_debug_level", .string, "info"), ("notify_on_info_alerts", .bool, false), ("notify_on_warning_alerts", .bool, true),
        ("block_local_user_logon", .bool, false), ("enable_server_scripts", .bool, false), ("enable_server_webterminal", .bool, false),
        ("workstation_policy", .int, .null), ("server_policy", .int, .null), ("alert_template", .int, .null),
    ]

    /// Secrets are never sent back in full.
    static let secrets: Set<String> = ["smtp_host_password", "twilio_auth_token", "mesh_token"]

    static func merged(_ stored: JSON) -> [String: JSON] {
        var values: [String: JSON] = [:]
        let saved = stored.objectValue ?? [:]
        for entry in schema { values[entry.key] = saved[entry.key] ?? entry.fallback }
        return values
    }

    static func redacted(_ values: [String: JSON]) -> [String: JSON] {
        var copy = values
        for key in secrets { if let value = copy[key]?.stringValue, !value.isEmpty { copy[key] = "********" } }
        return copy
    }

    /// Validates a partial update; the redaction placeholder keeps the stored secret.
    static func apply(_ update: [String: JSON], to current: [String: JSON]) throws -> [String: JSON] {
        var result = current
        let kinds = Dictionary(uniqueKeysWithValues: schema.map { ($0.key, $0.kind) })
        for (key, value) in update {
            if key == "id" { continue }
            guard let kind = kinds[key] else { throw APIError.badRequest("Unknown setting '\(key)'.") }
            if secrets.contains(key), value.stringValue == "********" { continue }
            if value.isNull { result[key] = .null; continue }
            switch kind {
            case .string: guard value.stringValue != nil else { throw APIError.badRequest("Setting '\(key)' must be a string.") }
            case .int:
                guard let number = value.intValue else { throw APIError.badRequest("Setting '\(key)' must be a whole number.") }
                if key.hasSuffix("_days") || key == "smtp_port", number < 0 {
                    throw APIError.badRequest("Setting '\(key)' must not be negative.")
                }
            case .bool: guard value.boolValue != nil else { throw APIError.badRequest("Setting '\(key)' must be true or false.") }
            case .stringList:
                guard let list = value.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else {
                    throw APIError.badRequest("Setting '\(key)' must be a list of strings.")
                }
            }
            try checkValue(key, value)
            result[key] = value
        }
        return result
    }

    /// Values whose form is known: the MeshCentral bridge's key and site (the meshcentral
    /// plugin reads them; a wrong one would only fail later, at take-control time).
    static func checkValue(_ key: String, _ value: JSON) throws {
        guard let text = value.stringValue, !text.isEmpty else { return }
        switch key {
        case "mesh_token":
            guard text.utf8.count == 160, text.utf8.allSatisfy({ $0 < 128 && Character(Unicode.Scalar($0)).isHexDigit }) else {
                throw APIError.badRequest(
                    "Setting 'mesh_token' must be MeshCentral's login token key: 160 hexadecimal characters (meshcentral --logintokenkey prints it).")
            }
        case "mesh_site":
            guard let url = URL(string: text), url.scheme?.lowercased() == "https", let host = url.host, !host.isEmpty,
                url.query == nil, url.fragment == nil
            else {
                throw APIError.badRequest("Setting 'mesh_site' must be the https:// address of MeshCentral, e.g. https://mesh.example.com.")
            }
        default: return
        }
    }
}
