import Foundation
import PluginKit

/// Tactical RMM's AlertTemplate fields (Plugins/Alerts/README.md, "Alert templates"): each
/// field's kind and default, the checks a write goes through, and the computed fields of the
/// answer. A template is stored as one JSON document of these fields, defaults filled in.
enum TemplateFields {
    enum Kind {
        case bool, optionalBool, actionType, optionalID, strings, timeout, emails, phones, optionalEmail, days, severities, ids
    }

    static let sections = ["agent", "check", "task"]

    static let table: [(name: String, kind: Kind, fallback: JSON)] = {
        var t: [(String, Kind, JSON)] = [("is_active", .bool, true)]
        for prefix in ["", "resolved_"] {
            t += [
                ("\(prefix)action_type", .actionType, "script"), ("\(prefix)action", .optionalID, .null),
                ("\(prefix)action_rest", .optionalID, .null), ("\(prefix)action_args", .strings, []),
                ("\(prefix)action_env_vars", .strings, []), ("\(prefix)action_timeout", .timeout, 15),
            ]
        }
        t += [("email_recipients", .emails, []), ("text_recipients", .phones, []), ("email_from", .optionalEmail, "")]
        for s in sections {
            t += [
                ("\(s)_email_on_resolved", .optionalBool, false), ("\(s)_text_on_resolved", .optionalBool, false),
                ("\(s)_always_email", .optionalBool, .null), ("\(s)_always_text", .optionalBool, .null),
                ("\(s)_always_alert", .optionalBool, .null), ("\(s)_periodic_alert_days", .days, 0),
                ("\(s)_script_actions", .optionalBool, true),
            ]
            if s != "agent" {
                t += [
                    ("\(s)_email_alert_severity", .severities, []), ("\(s)_text_alert_severity", .severities, []),
                    ("\(s)_dashboard_alert_severity", .severities, []),
                ]
            }
        }
        t += [
            ("exclude_workstations", .optionalBool, false), ("exclude_servers", .optionalBool, false),
            ("excluded_sites", .ids, []), ("excluded_clients", .ids, []), ("excluded_agents", .ids, []),
        ]
        return t
    }()

    static let kinds: [String: Kind] = Dictionary(uniqueKeysWithValues: table.map { ($0.name, $0.kind) })
    /// What an answer carries that a write may send back unchanged: ignored.
    static let readOnly: Set<String> = [
        "id", "created_by", "created_time", "modified_by", "modified_time", "agent_settings", "check_settings", "task_settings",
        "core_settings", "default_template", "action_name", "resolved_action_name", "applied_count", "policies", "clients", "sites",
    ]
    static let defaults: [String: JSON] = Dictionary(uniqueKeysWithValues: table.map { ($0.name, $0.fallback) })

    /// Checks a create or edit body; answers the name (if sent) and the fields to store
    /// (`current` with the body's values over it). Every refusal names the field.
    static func apply(_ body: [String: JSON], to current: [String: JSON]) throws -> (name: String?, fields: [String: JSON]) {
        var fields = current
        var name: String?
        for (key, value) in body.sorted(by: { $0.key < $1.key }) {
            if readOnly.contains(key) { continue }
            if key == "name" {
                guard let text = value.stringValue, !text.trimmingCharacters(in: .whitespaces).isEmpty, text.count <= 100 else {
                    throw PluginHTTPError(400, "name must be a non-empty string of at most 100 characters.")
                }
                name = text
                continue
            }
            guard let kind = kinds[key] else {
                throw PluginHTTPError(400, "\(key) is not a field of an alert template (see Plugins/Alerts/README.md, \"Alert templates\").")
            }
            fields[key] = try check(value, key, kind)
        }
        return (name, fields)
    }

    static func check(_ value: JSON, _ key: String, _ kind: Kind) throws -> JSON {
        func list() throws -> [JSON] {
            if value.isNull { return [] }
            guard let items = value.arrayValue, items.count <= 1000 else {
                throw PluginHTTPError(400, "\(key) must be a list (at most 1000 items).")
            }
            return items
        }
        switch kind {
        case .bool:
            guard let b = value.boolValue else { throw PluginHTTPError(400, "\(key) must be true or false.") }
            return .bool(b)
        case .optionalBool:
            if value.isNull { return .null }
            guard let b = value.boolValue else { throw PluginHTTPError(400, "\(key) must be true, false or null.") }
            return .bool(b)
        case .actionType:
            guard let s = value.stringValue, ["script", "server", "rest"].contains(s) else {
                throw PluginHTTPError(400, "\(key) must be one of script, server, rest.")
            }
            return .string(s)
        case .optionalID:
            if value.isNull { return .null }
            return .number(Double(try Alerts.int(value, key, in: BoundedInt.id)))
        case .timeout:
            return .number(Double(try Alerts.int(value, key, in: 1...86_400)))
        case .days:
            if value.isNull { return 0 }
            return .number(Double(try Alerts.int(value, key, in: 0...3650)))
        case .strings:
            return .array(
                try list().map { item in
                    guard let s = item.stringValue, s.utf8.count <= 4096 else {
                        throw PluginHTTPError(400, "\(key): each item must be a string of at most 4096 bytes.")
                    }
                    return .string(s)
                })
        case .emails:
            if value.isNull { return .null }
            return .array(
                try list().map { item in
                    guard let s = item.stringValue?.trimmingCharacters(in: .whitespaces), isAddress(s) else {
                        throw PluginHTTPError(400, "\(key): \(item) is not an e-mail address (expected name@domain).")
                    }
                    return .string(s)
                })
        case .phones:
            if value.isNull { return .null }
            return .array(
                try list().map { item in
                    guard let s = item.stringValue?.trimmingCharacters(in: .whitespaces), isE164(s) else {
                        throw PluginHTTPError(400, "\(key): \(item) is not a phone number in E.164 form (expected +15551234567).")
                    }
                    return .string(s)
                })
        case .optionalEmail:
            if value.isNull { return .null }
            guard let s = value.stringValue?.trimmingCharacters(in: .whitespaces), s.isEmpty || isAddress(s) else {
                throw PluginHTTPError(400, "\(key) must be an e-mail address (name@domain), empty or null.")
            }
            return .string(s)
        case .severities:
            return .array(try Alerts.strings(value.isNull ? [] : value, key, allowed: Alerts.severities).map(JSON.string))
        case .ids:
            return .array(try Alerts.ids(value.isNull ? [] : value, key).map { .number(Double($0)) })
        }
    }

    /// name@domain, as the e-mail channel takes it.
    static func isAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, text.utf8.count <= 254 else { return false }
        let forbidden: Set<Character> = [" ", "<", ">", ",", "\"", "(", ")", "[", "]", "\\", ";", ":", "\t", "\r", "\n"]
        guard !text.contains(where: { forbidden.contains($0) || $0.asciiValue.map { $0 < 0x20 } == true }) else { return false }
        let domain = parts[1]
        return !domain.hasPrefix(".") && !domain.hasSuffix(".") && !domain.contains("..")
            && domain.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }
    }

    /// E.164: '+', a non-zero digit, then 1 to 14 digits.
    static func isE164(_ text: String) -> Bool {
        let digits = text.dropFirst()
        return text.hasPrefix("+") && (2...15).contains(digits.count) && digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber)
            && digits.first != "0"
    }

    /// Tactical RMM's computed fields: whether a section has any setting; core_settings (its
    /// odd "email_from, else the e-mail list if non-empty, else the text list" value).
    static func computed(_ f: [String: JSON]) -> [String: JSON] {
        func truthy(_ v: JSON?) -> Bool {
            guard let v else { return false }
            if let b = v.boolValue { return b }
            if let n = v.intValue { return n != 0 }
            if let a = v.arrayValue { return !a.isEmpty }
            if let s = v.stringValue { return !s.isEmpty }
            return false
        }
        var out: [String: JSON] = [:]
        for s in sections {
            var keys = ["email_on_resolved", "text_on_resolved", "always_email", "always_text", "always_alert", "periodic_alert_days"]
            if s != "agent" { keys += ["email_alert_severity", "text_alert_severity", "dashboard_alert_severity"] }
            out["\(s)_settings"] = .bool(keys.contains { truthy(f["\(s)_\($0)"]) })
        }
        if truthy(f["email_from"]) {
            out["core_settings"] = true
        } else if truthy(f["email_recipients"]) {
            out["core_settings"] = f["email_recipients"]
        } else {
            out["core_settings"] = f["text_recipients"] ?? .null
        }
        return out
    }
}

/// One template as the plugin applies it.
struct AlertTemplate: Sendable {
    let id: Int
    let name: String
    let f: [String: JSON]

    var isActive: Bool { f["is_active"]?.boolValue ?? true }
    func flag(_ key: String) -> Bool { f[key]?.boolValue == true }
    func days(_ section: String) -> Int { f["\(section)_periodic_alert_days"]?.intValue ?? 0 }
    func list(_ key: String) -> [JSON]? {
        guard let items = f[key]?.arrayValue, !items.isEmpty else { return nil }
        return items
    }

    /// Tactical RMM's severity filters, with its defaults for an empty list.
    func severities(_ section: String, _ channel: String) -> [String] {
        if section == "agent" { return ["error"] }
        if let set = list("\(section)_\(channel)_alert_severity")?.compactMap(\.stringValue) { return set }
        if channel == "dashboard" && section == "check" { return ["error", "warning", "info"] }
        return ["error", "warning"]
    }

    /// Excludes the agent: listed itself, its site or client, or its monitoring type.
    func excludes(agent: JSON) -> Bool {
        func has(_ key: String, _ id: Int?) -> Bool {
            guard let id else { return false }
            return f[key]?.arrayValue?.contains { $0.intValue == id } == true
        }
        if has("excluded_agents", agent["id"]?.intValue) || has("excluded_sites", agent["site"]?.intValue)
            || has("excluded_clients", agent["client"]?.intValue)
        {
            return true
        }
        switch agent["monitoring_type"]?.stringValue {
        case "workstation": return flag("exclude_workstations")
        case "server": return flag("exclude_servers")
        default: return false
        }
    }

    func applies(to agent: JSON) -> Bool { isActive && !excludes(agent: agent) }
}
