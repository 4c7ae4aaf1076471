import Foundation

/// `{{...}}` placeholders: snippets in script bodies, variables in arguments, environment
/// variables and task commands. Text outside placeholders is never touched, byte for byte.
public enum Templates {
    /// Calls `replace` with each placeholder's trimmed inner text; nil keeps it as written.
    static func substitute(_ text: String, _ replace: (String) throws(ScriptingError) -> String?) throws(ScriptingError) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count >= 4, text.contains("{{") else { return text }
        // One forward scan over the UTF-8 bytes: linear in the text, whatever it holds.
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        let open: UInt8 = 0x7B, close: UInt8 = 0x7D, newline: UInt8 = 0x0A
        while i < bytes.count {
            guard bytes[i] == open, i + 1 < bytes.count, bytes[i + 1] == open else {
                out.append(bytes[i])
                i += 1
                continue
            }
            // The placeholder's inner text runs to the first "}}" on the same line, with no "{{".
            var j = i + 2
            var end: Int?
            while j + 1 < bytes.count, bytes[j] != newline {
                if bytes[j] == open, bytes[j + 1] == open { break }
                if bytes[j] == close, bytes[j + 1] == close { end = j; break }
                j += 1
            }
            if let end, let value = try replace(String(decoding: bytes[(i + 2)..<end], as: UTF8.self).trimmingCharacters(in: .whitespaces))
            {
                out.append(contentsOf: value.utf8)
                i = end + 2
            } else {
                out.append(open)
                out.append(open)
                i += 2
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Inlines `{{snippet_name}}` with that snippet's code (Script.replace_with_snippets). One
    /// pass: a snippet's own placeholders are not expanded again, and unknown names stay.
    public static func expandSnippets(_ code: String, snippets: [String: String]) -> String {
        (try? substitute(code) { name in snippets[name] }) ?? code
    }

    /// The variable names (`agent.hostname`, `global.api_key`) used in `texts`.
    public static func variables(in texts: [String]) -> Set<String> {
        var found: Set<String> = []
        for text in texts {
            _ = try? substitute(text) { inner in
                if Variable(inner) != nil { found.insert(inner) }
                return nil
            }
        }
        return found
    }
}

/// `{{agent.x}}`, `{{client.x}}`, `{{site.x}}`, `{{global.x}}`.
public struct Variable: Sendable, Hashable {
    public enum Scope: String, Sendable { case agent, client, site, global }
    public let scope: Scope
    public let name: String

    public init?(_ text: String) {
        guard let dot = text.firstIndex(of: "."), let scope = Scope(rawValue: String(text[..<dot])) else { return nil }
        let name = String(text[text.index(after: dot)...])
        guard !name.isEmpty, !name.contains(" ") else { return nil }
        self.scope = scope
        self.name = name
    }
}

/// What variables resolve against: each object's fields as text (the plugin flattens the
/// host's agent, client and site objects, custom fields after the fields of the same name).
public struct VariableContext: Sendable {
    public var agent: [String: String]
    public var client: [String: String]
    public var site: [String: String]
    public var global: [String: String]

    public init(agent: [String: String] = [:], client: [String: String] = [:], site: [String: String] = [:], global: [String: String] = [:])
    {
        self.agent = agent
        self.client = client
        self.site = site
        self.global = global
    }

    public func value(_ variable: Variable) -> String? {
        switch variable.scope {
        case .agent: agent[variable.name]
        case .client: client[variable.name]
        case .site: site[variable.name]
        case .global: global[variable.name]
        }
    }

    /// Replaces every variable in a script argument, quoted for `shell`. An unknown variable
    /// is refused rather than run as an empty string.
    public func resolveArgument(_ text: String, shell: ScriptShell) throws(ScriptingError) -> String {
        try resolve(text) { shell.quote($0) }
    }

    /// Environment variables are NAME=value pairs no shell parses: values go in as they are.
    public func resolveEnvVar(_ text: String) throws(ScriptingError) -> String {
        try resolve(text) { $0 }
    }

    /// A raw command line for `shell` (cmd, powershell, or a POSIX shell path).
    public func resolveCommand(_ text: String, shell: String) throws(ScriptingError) -> String {
        let quoting: ScriptShell = shell == "cmd" ? .cmd : shell == "powershell" ? .powershell : .shell
        return try resolve(text) { quoting.quote($0) }
    }

    func resolve(_ text: String, _ quote: (String) -> String) throws(ScriptingError) -> String {
        try Templates.substitute(text) { inner throws(ScriptingError) in
            guard let variable = Variable(inner) else { return nil }
            guard let value = value(variable) else { throw ScriptingError("Unknown variable {{\(inner)}}.") }
            return quote(value)
        }
    }
}
