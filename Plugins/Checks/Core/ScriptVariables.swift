import Foundation
import PluginKit

/// `{{agent.x}}`, `{{client.x}}`, `{{site.x}}` and `{{global.x}}` in script args and env
/// vars (docs/compatibility.md §2.6, `Script.parse_script_args`). A field of the object, or its
/// custom field of that name; a placeholder that resolves to nothing is left as written.
/// Args are quoted for the target shell; env vars are not.
public struct ScriptVariables: Sendable {
    public var agent: JSON
    public var client: JSON
    public var site: JSON
    public var global: [String: String]

    public init(agent: JSON = .null, client: JSON = .null, site: JSON = .null, global: [String: String] = [:]) {
        self.agent = agent
        self.client = client
        self.site = site
        self.global = global
    }

    /// Which objects `texts` refer to, so the caller fetches only those.
    public static func references(_ texts: [String]) -> Set<String> {
        var found: Set<String> = []
        for text in texts {
            for name in placeholders(text) {
                if let dot = name.firstIndex(of: ".") { found.insert(String(name[..<dot])) }
            }
        }
        return found
    }

    /// The names between "{{" and "}}", trimmed, in order.
    static func placeholders(_ text: String) -> [String] {
        var names: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            names.append(rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces))
            rest = rest[close.upperBound...]
        }
        return names
    }

    /// The value of one "object.field" name, or nil.
    public func value(_ name: String) -> String? {
        guard let dot = name.firstIndex(of: ".") else { return nil }
        let object = String(name[..<dot]), field = String(name[name.index(after: dot)...])
        guard !field.isEmpty else { return nil }
        if object == "global" { return global[field] }
        let source: JSON
        switch object {
        case "agent": source = agent
        case "client": source = client
        case "site": source = site
        default: return nil
        }
        let aliases = ["logged_in_username": "logged_username", "site_name": "site_name", "client_name": "client_name"]
        if let direct = source[field]?.scalarText ?? aliases[field].flatMap({ source[$0]?.scalarText }) { return direct }
        return source["custom_fields"]?[field]?.scalarText
    }

    /// `text` with every resolvable placeholder replaced; `shell` set quotes each value for it.
    public func substitute(_ text: String, quotingFor shell: String? = nil) -> String {
        guard text.contains("{{") else { return text }
        var out = ""
        var rest = text[...]
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            out += rest[..<open.lowerBound]
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if let value = value(name) {
                out += shell.map { Self.quote(value, for: $0) } ?? value
            } else {
                out += rest[open.lowerBound..<close.upperBound]
            }
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    public func arguments(_ args: [String], shell: String) -> [String] { args.map { substitute($0, quotingFor: shell) } }
    public func environment(_ vars: [String]) -> [String] { vars.map { substitute($0) } }

    /// Quoting that keeps a value one argument in the target shell.
    public static func quote(_ value: String, for shell: String) -> String {
        switch shell {
        case "powershell": return "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
        case "cmd": return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        case "python", "nushell", "deno": return value
        default: return "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
    }
}

extension CheckDefinition {
    /// The texts of a script check that may hold {{...}} variables: its arguments and
    /// environment, and its script's environment. None for other kinds.
    public var variableTexts: [String] {
        check_type == .script ? script_args + env_vars + (script?.env_vars ?? []) : []
    }
}
