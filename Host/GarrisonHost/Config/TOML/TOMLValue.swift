// The value model produced by `TOMLParser`, plus compact JSON rendering.
//
// Plugin settings travel to plugins as JSON across the C ABI, so the renderer lives next to
// the model and has no Foundation dependency (no `Any`, no JSONSerialization round trip).

/// One TOML value. Date-times stay as the text written in the file: the host never does
/// calendar math on config values, and keeping the text avoids a Foundation dependency and
/// any loss of precision or offset information.
public enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case bool(Bool)
    /// Offset date-time, local date-time, local date or local time, exactly as written.
    case datetime(String)
    case array([TOMLValue])
    case table(TOMLTable)
}

// MARK: - Convenience accessors

extension TOMLValue {
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var integerValue: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// The float, or an integer widened to `Double`: config authors write `timeout = 5`
    /// as readily as `timeout = 5.0`, and both should be accepted where a number is wanted.
    public var doubleValue: Double? {
        switch self {
        case .float(let value): return value
        case .integer(let value): return Double(value)
        default: return nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The date-time text as written, e.g. `"1979-05-27T07:32:00Z"`.
    public var datetimeText: String? {
        if case .datetime(let value) = self { return value }
        return nil
    }

    public var arrayValue: [TOMLValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var tableValue: TOMLTable? {
        if case .table(let value) = self { return value }
        return nil
    }

    /// Looks up `key` when this value is a table; `nil` otherwise.
    public subscript(key: String) -> TOMLValue? {
        tableValue?[key]
    }

    /// The TOML name of this value's type, for diagnostics ("expected an integer, found a string").
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .bool: return "boolean"
        case .datetime: return "date-time"
        case .array: return "array"
        case .table: return "table"
        }
    }
}

// MARK: - Table

/// A TOML table: keys in the order they were first defined, each with the 1-based source
/// line that defined it, so config validation can point users at the offending line.
public struct TOMLTable: Sendable {
    private struct Entry: Sendable {
        var value: TOMLValue
        var line: Int?
    }

    /// Keys in insertion order.
    public private(set) var keys: [String] = []
    private var entries: [String: Entry] = [:]

    public init() {}

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    public subscript(key: String) -> TOMLValue? {
        entries[key]?.value
    }

    /// The 1-based line on which `key` was defined, or `nil` if the key is absent or the
    /// table was built in code without line information.
    public func line(of key: String) -> Int? {
        entries[key]?.line
    }

    /// Follows a path of keys through nested tables, e.g. `["server", "tls", "cert"]`.
    public func value(at path: [String]) -> TOMLValue? {
        guard let first = path.first, let value = self[first] else { return nil }
        if path.count == 1 { return value }
        return value.tableValue?.value(at: Array(path.dropFirst()))
    }

    /// Sets `value` for `key`. A new key goes last; replacing keeps the key's position.
    public mutating func set(_ value: TOMLValue, forKey key: String, line: Int? = nil) {
        if entries[key] == nil { keys.append(key) }
        entries[key] = Entry(value: value, line: line)
    }
}

extension TOMLTable: Equatable {
    /// Tables compare by content only. TOML tables are unordered, and two documents that
    /// say the same thing on different lines should compare equal.
    public static func == (lhs: TOMLTable, rhs: TOMLTable) -> Bool {
        guard lhs.keys.count == rhs.keys.count else { return false }
        return lhs.keys.allSatisfy { key in
            guard let other = rhs.entries[key] else { return false }
            return lhs.entries[key]?.value == other.value
        }
    }
}

// MARK: - JSON rendering

extension TOMLValue {
    /// Compact JSON (RFC 8259). Date-times become strings; `inf` and `nan` have no JSON
    /// spelling and become `null`, as JavaScript's `JSON.stringify` does.
    public func jsonString() -> String {
        var output = ""
        JSONWriter.write(self, into: &output)
        return output
    }
}

extension TOMLTable {
    /// Compact JSON object with keys in definition order.
    public func jsonString() -> String {
        var output = ""
        JSONWriter.write(self, into: &output)
        return output
    }
}

/// Recursive JSON emitter shared by `TOMLValue` and `TOMLTable`.
private enum JSONWriter {
    static func write(_ value: TOMLValue, into output: inout String) {
        switch value {
        case .string(let string), .datetime(let string):
            writeString(string, into: &output)
        case .integer(let integer):
            output += String(integer)
        case .float(let double):
            // Swift's shortest round-trip form ("1.0", "1e-05", "-0.0") is valid JSON
            // number syntax for every finite value.
            output += double.isFinite ? double.description : "null"
        case .bool(let bool):
            output += bool ? "true" : "false"
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                write(element, into: &output)
            }
            output += "]"
        case .table(let table):
            write(table, into: &output)
        }
    }

    static func write(_ table: TOMLTable, into output: inout String) {
        output += "{"
        var isFirst = true
        for key in table.keys {
            guard let value = table[key] else { continue }
            if !isFirst { output += "," }
            isFirst = false
            writeString(key, into: &output)
            output += ":"
            write(value, into: &output)
        }
        output += "}"
    }

    /// RFC 8259 section 7: quote, backslash and C0 controls must be escaped; everything
    /// else may appear raw, and the output is UTF-8 like its input.
    static func writeString(_ string: String, into output: inout String) {
        output += "\""
        defer { output += "\"" }
        // Most strings need no escaping; append those whole instead of scalar by scalar.
        guard string.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else {
            output += string
            return
        }
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16, uppercase: true)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                output.unicodeScalars.append(scalar)
            }
        }
    }
}
