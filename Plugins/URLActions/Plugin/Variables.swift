import Foundation
import PluginKit

/// Tactical RMM's URL action variables (docs/compatibility.md §3.17; Plugins/URLActions/README.md,
/// "Variables"): `{{` root `.` names `}}` with root client, site, agent, global or alert,
/// resolved against one instance (an agent, client, site, an alert, or none).
enum Variables {
    static let roots: Set<String> = ["client", "site", "agent", "global", "alert"]

    /// One placeholder found in a text: its range and its root and names.
    struct Match {
        let range: Range<String.Index>
        let root: String
        let names: [String]
    }

    /// Every placeholder in `text`, in order. Names may hold letters, digits, '_', '-',
    /// spaces and dots (custom field names); spaces around the whole are allowed.
    static func matches(in text: String) -> [Match] {
        var out: [Match] = []
        var cursor = text.startIndex
        while let open = text.range(of: "{{", range: cursor..<text.endIndex) {
            guard let close = text.range(of: "}}", range: open.upperBound..<text.endIndex) else { break }
            let inner = text[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            let parts = inner.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            let allowed = inner.allSatisfy { $0.isLetter || $0.isNumber || "_- .".contains($0) }
            if parts.count >= 2, roots.contains(parts[0]), allowed, !parts.dropFirst().contains(where: { $0.isEmpty }) {
                out.append(Match(range: open.lowerBound..<close.upperBound, root: parts[0], names: Array(parts.dropFirst())))
                cursor = close.upperBound
            } else {
                cursor = text.index(after: open.lowerBound)
            }
        }
        return out
    }

    /// `text` with each placeholder replaced by `replace(match)`; nil keeps it as written.
    static func substitute(_ text: String, _ values: [String: String?]) -> String {
        var out = ""
        var cursor = text.startIndex
        for m in matches(in: text) {
            out += text[cursor..<m.range.lowerBound]
            let key = ([m.root] + m.names).joined(separator: ".")
            if let value = values[key], let value { out += value } else { out += text[m.range] }
            cursor = m.range.upperBound
        }
        return out + text[cursor...]
    }

    /// Python's str() of a value, as Tactical RMM writes it into a webhook: None, True/False,
    /// whole numbers without a fraction, lists as Python list text.
    static func pythonText(_ value: JSON?) -> String {
        guard let value else { return "None" }
        switch value {
        case .null: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .string(let s): return s
        case .number(let n): return n.rounded() == n && abs(n) < 1e15 ? String(Int(n)) : String(n)
        case .array(let items):
            return "[" + items.map { item -> String in
                if case .string(let s) = item { return "'" + s.replacingOccurrences(of: "'", with: "\\'") + "'" }
                return pythonText(item)
            }.joined(separator: ", ") + "]"
        case .object: return "None"
        }
    }

    /// Percent-encodes what may not appear in a URL and keeps what may (requests' requote_uri):
    /// existing %XX escapes stay as they are.
    static func requote(_ url: String) -> String {
        let safe = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!#$%&'()*+,/:;=?@[]".utf8)
        var out = [UInt8]()
        for byte in url.utf8 {
            if safe.contains(byte) {
                out.append(byte)
            } else {
                out += Array(String(format: "%%%02X", byte).utf8)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A webhook body after substitution, cleaned as Tactical RMM does before parsing it:
    /// control characters other than tab, newline and carriage return become spaces, and a
    /// backslash not starting \\, \n, \r, \t (or \") is doubled, so Windows paths stay valid
    /// JSON. Then tabs, newlines and carriage returns inside strings are escaped (Tactical
    /// RMM parses with strict=False, which accepts them there).
    static func cleanBody(_ body: String) -> String {
        var scalars: [Unicode.Scalar] = []
        let input = Array(body.unicodeScalars)
        var i = 0
        while i < input.count {
            let c = input[i]
            if c.value < 0x20 && c != "\t" && c != "\n" && c != "\r" || c.value == 0x7F {
                scalars.append(" ")
            } else if c == "\\" {
                let next = i + 1 < input.count ? input[i + 1] : nil
                if let next, "\\nrt\"".unicodeScalars.contains(next) {
                    scalars.append(c)
                    scalars.append(next)
                    i += 1
                } else {
                    scalars.append("\\")
                    scalars.append("\\")
                }
            } else {
                scalars.append(c)
            }
            i += 1
        }
        // Raw tabs and line breaks inside strings, escaped.
        var out = String.UnicodeScalarView()
        var inString = false
        var escaped = false
        for c in scalars {
            if inString {
                if escaped {
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else if c == "\"" {
                    inString = false
                } else if c == "\n" || c == "\r" || c == "\t" {
                    out.append(contentsOf: (c == "\n" ? "\\n" : c == "\r" ? "\\r" : "\\t").unicodeScalars)
                    continue
                }
            } else if c == "\"" {
                inString = true
            }
            out.append(c)
        }
        return String(out)
    }

    /// The body a webhook sends: the cleaned text when it is JSON; otherwise (as Tactical
    /// RMM, which logs the error) that text as one JSON string. `valid` says which.
    static func webhookBody(_ substituted: String) -> (body: String, valid: Bool) {
        let cleaned = cleanBody(substituted)
        if (try? JSON(parsing: Data(cleaned.utf8))) != nil { return (cleaned, true) }
        return (String(decoding: JSON.string(cleaned).jsonBytes, as: UTF8.self), false)
    }

    /// Headers from their JSON object text ("" or blank: none). Values become text; a name
    /// or value with a line break is refused (it would split the request's header lines).
    static func headers(_ substituted: String) throws -> [(String, String)] {
        let text = cleanBody(substituted).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return [] }
        guard case .object(let members)? = try? JSON(parsing: Data(text.utf8)) else {
            throw PluginError(.invalid, "rest_headers is not a JSON object after substitution")
        }
        var out: [(String, String)] = []
        for (name, value) in members.sorted(by: { $0.key < $1.key }) {
            let text = pythonText(value)
            if name.isEmpty || name.contains(where: { $0 == "\r" || $0 == "\n" || $0 == ":" }) || text.contains(where: { $0 == "\r" || $0 == "\n" }) {
                throw PluginError(.invalid, "rest_headers: header \(name) has a line break or is not a header name")
            }
            out.append((name, text))
        }
        return out
    }

    /// A template checked before it is stored: with every placeholder read as 0 it must be
    /// JSON (`object`: a JSON object), so a typo shows when saving, not at the first alert.
    static func checkTemplate(_ text: String, field: String, object: Bool) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return }
        var values: [String: String?] = [:]
        for m in matches(in: text) { values[([m.root] + m.names).joined(separator: ".")] = "0" }
        let probe = cleanBody(substitute(text, values))
        guard let parsed = try? JSON(parsing: Data(probe.utf8)) else {
            throw PluginHTTPError(400, "\(field) must be JSON (placeholders such as {{alert.message}} may stand for any value).")
        }
        if object, parsed.objectValue == nil {
            throw PluginHTTPError(400, "\(field) must be a JSON object of header names and values.")
        }
    }
}

/// The objects a URL action's variables are read from, fetched from the host when first
/// needed: one instance (an alert, agent, client or site; "none" for no instance), and what
/// it leads to (an alert's agent, an agent's site and client, a site's client).
struct VariableContext {
    let host: PluginHost
    let instance: String
    var alert: JSON?
    var agentID: String?
    var siteID: Int?
    var clientID: Int?
    private var agent: JSON??
    private var site: JSON??
    private var client: JSON??
    private var global: JSON??

    init(host: PluginHost, instance: String, alert: JSON? = nil, agentID: String? = nil, siteID: Int? = nil, clientID: Int? = nil) {
        self.host = host
        self.instance = instance
        self.alert = alert
        self.agentID = agentID ?? alert?["agent_id"]?.stringValue
        self.siteID = siteID
        self.clientID = clientID
    }

    mutating func agentObject() async -> JSON? {
        if let agent { return agent }
        var found: JSON?
        if let agentID { found = try? await host.coreObject(kind: .agentBrief, id: agentID) }
        agent = .some(found)
        return found
    }

    mutating func siteObject() async -> JSON? {
        if let site { return site }
        if siteID == nil { siteID = await agentObject()?["site"]?.intValue }
        var found: JSON?
        if let siteID { found = try? await host.coreObject(kind: .site, id: String(siteID)) }
        site = .some(found)
        return found
    }

    mutating func clientObject() async -> JSON? {
        if let client { return client }
        if clientID == nil {
            if instance == "site" || siteID != nil {
                clientID = await siteObject()?["client"]?.intValue
            } else {
                clientID = await agentObject()?["client"]?.intValue
            }
        }
        var found: JSON?
        if let clientID { found = try? await host.coreObject(kind: .client, id: String(clientID)) }
        client = .some(found)
        return found
    }

    mutating func object(_ kind: String) async -> JSON? {
        switch kind {
        case "alert": return alert
        case "agent": return await agentObject()
        case "site": return await siteObject()
        case "client": return await clientObject()
        default: return nil
        }
    }

    /// One variable's value; nil when it does not resolve (Tactical RMM's get_db_value None).
    mutating func value(root: String, names: [String]) async -> JSON? {
        if root == "global" {
            if global == nil { global = .some(try? await host.coreObject(kindNamed: "global", id: "*")) }
            return global??[names.joined(separator: ".")]
        }
        if instance == "none" { return nil }
        // <model>.<custom field name>.
        if names.count == 1, root != "alert", let custom = await object(root)?["custom_fields"]?[names[0]] {
            return custom
        }
        var path = [root] + names
        if root == instance { path.removeFirst() }
        var kind = instance
        var current = await object(instance)
        for name in path {
            guard let here = current, here != .null else { return nil }
            let next: String? =
                switch (kind, name) {
                case ("alert", "agent"), ("alert", "site"), ("alert", "client"), ("agent", "site"), ("agent", "client"), ("site", "client"):
                    name
                default: nil
                }
            if let next {
                kind = next
                current = await object(next)
            } else {
                kind = ""
                current = here[name]
            }
        }
        if case .object? = current { return nil }
        return current
    }

    /// Every placeholder of `texts` and its value (nil: unresolved).
    mutating func values(for texts: [String]) async -> [String: JSON?] {
        var out: [String: JSON?] = [:]
        for text in texts {
            for m in Variables.matches(in: text) {
                let key = ([m.root] + m.names).joined(separator: ".")
                if out[key] != nil { continue }
                out[key] = .some(await value(root: m.root, names: m.names))
            }
        }
        return out
    }
}
