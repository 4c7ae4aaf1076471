/// Integers from a request (path parameters, the query string, body fields) parsed into a
/// range or refused with 400 naming the field and the range, as the host does: a plugin
/// that computes with them (`(page - 1) * size`, `timeout + 5`) can then never trap.
public enum BoundedInt {
    /// 32 bits: a sum or product of two such values never overflows a 64-bit Int, and
    /// PostgreSQL's `integer` column takes it.
    public static let standard: ClosedRange<Int> = Int(Int32.min)...Int(Int32.max)
    /// Object ids (bigserial): positive, only compared, never computed with.
    public static let id: ClosedRange<Int> = 1...Int.max

    /// `text` as a whole number inside `range`, or a 400 that names `what` and the range.
    public static func parse(_ text: String?, _ what: String, in range: ClosedRange<Int>) throws -> Int {
        guard let text, let value = Int(text) else { throw refusal(what, range) }
        return try check(value, what, in: range)
    }

    /// `value` (decoded from a body) if inside `range`, or the same 400.
    @discardableResult
    public static func check(_ value: Int, _ what: String, in range: ClosedRange<Int>) throws -> Int {
        guard range.contains(value) else { throw refusal(what, range) }
        return value
    }

    public static func refusal(_ what: String, _ range: ClosedRange<Int>) -> PluginHTTPError {
        PluginHTTPError(400, "\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound).")
    }
}

extension PluginRequest {
    /// A path parameter as a whole number inside `range` (ids by default).
    public func intParam(_ name: String, in range: ClosedRange<Int> = BoundedInt.id) throws -> Int {
        try BoundedInt.parse(params[name], "Path parameter '\(name)'", in: range)
    }

    /// A query parameter (percent-decoded) as a whole number inside `range`; `fallback`
    /// when absent or empty.
    public func queryInt(_ name: String, in range: ClosedRange<Int>, default fallback: Int? = nil) throws -> Int? {
        guard let text = queryValue(name), !text.isEmpty else { return fallback }
        return try BoundedInt.parse(text, "Query parameter '\(name)'", in: range)
    }

    /// The first value of `name` in the query string, percent-decoded ('+' is a space).
    public func queryValue(_ name: String) -> String? {
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(parts[0])
            if key == name { return parts.count > 1 ? Self.decode(parts[1]) : "" }
        }
        return nil
    }

    /// Form decoding: '+' is a space, %XX a byte; a malformed escape stays as it was.
    private static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 2 < utf8.count,
                let high = hexValue(utf8[index + 1]), let low = hexValue(utf8[index + 2])
            {
                bytes.append(high << 4 | low)
                index += 2
            } else {
                bytes.append(byte)
            }
            index += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
