/// PostgreSQL's text form of one-dimensional arrays of simple values ({1,2,3} or {a,b}).
/// Elements here are ids and permission names, which never need quoting.
enum PGArray {
    static func parse(_ text: String?) -> [String] {
        guard let text, text.count >= 2, text.first == "{", text.last == "}" else { return [] }
        let inner = text.dropFirst().dropLast()
        if inner.isEmpty { return [] }
        return inner.split(separator: ",").map { part in
            var value = String(part)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
    }

    static func ints(_ text: String?) -> [Int] { parse(text).compactMap { Int($0) } }

    static func literal(_ values: [String]) -> String {
        "{" + values.map(quoted).joined(separator: ",") + "}"
    }

    /// Text elements, NULL where nil (for unnest() batches).
    static func literal(optional values: [String?]) -> String {
        "{" + values.map { $0.map(quoted) ?? "NULL" }.joined(separator: ",") + "}"
    }

    /// One element in double quotes, backslash and double quote escaped. By bytes, not
    /// Foundation's replacingOccurrences: telemetry batches quote thousands per statement.
    static func quoted(_ value: String) -> String {
        let bytes = value.utf8
        guard bytes.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") }) else { return "\"" + value + "\"" }
        var escaped: [UInt8] = [UInt8(ascii: "\"")]
        escaped.reserveCapacity(bytes.count + 8)
        for byte in bytes {
            if byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") { escaped.append(UInt8(ascii: "\\")) }
            escaped.append(byte)
        }
        escaped.append(UInt8(ascii: "\""))
        return String(decoding: escaped, as: UTF8.self)
    }

    static func literal(_ values: [Bool]) -> String { "{" + values.map { $0 ? "t" : "f" }.joined(separator: ",") + "}" }

    static func literal(_ values: [Int]) -> String { "{" + values.map(String.init).joined(separator: ",") + "}" }
}
