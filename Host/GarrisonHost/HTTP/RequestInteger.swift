/// Integers that come from a request (query strings, JSON bodies, path parameters) are
/// parsed into a range or refused with 400 naming the field and the range, so no later
/// arithmetic on them can trap (`(page - 1) * page_size` with page = Int.max did).
public enum RequestInteger {
    /// What a field holds unless its reader names a range: 32 bits, so a sum or product of
    /// two such values never overflows a 64-bit Int (and PostgreSQL's `int` takes it).
    public static let standard: ClosedRange<Int> = Int(Int32.min)...Int(Int32.max)
    /// Object ids (bigserial): positive; only ever compared, never computed with.
    public static let id: ClosedRange<Int> = 1...Int.max
    /// A page number: 32 bits, so page * page_size stays far inside Int.
    public static let page: ClosedRange<Int> = 1...Int(Int32.max)

    /// `text` as a whole number inside `range`; `what` names it for the message
    /// ("Field 'timeout'", "Query parameter 'page'").
    public static func parse(_ text: Substring, _ what: String, in range: ClosedRange<Int>) throws(APIError) -> Int {
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw refusal(what, range)
        }
        return value
    }

    public static func check(_ value: Int, _ what: String, in range: ClosedRange<Int>) throws(APIError) -> Int {
        guard range.contains(value) else { throw refusal(what, range) }
        return value
    }

    public static func refusal(_ what: String, _ range: ClosedRange<Int>) -> APIError {
        .badRequest("\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound).")
    }
}

extension Call {
    /// An integer query parameter inside `range`; `fallback` when it is absent or empty.
    public func queryInt(_ name: String, in range: ClosedRange<Int>, default fallback: Int? = nil) throws -> Int? {
        guard let text = query[name], !text.isEmpty else { return fallback }
        return try RequestInteger.parse(text[...], "Query parameter '\(name)'", in: range)
    }

    /// An integer path parameter that is a quantity, not an object id (days, a pid): out of
    /// `range` is a 400 naming it, where `intParam` answers 404 for an id that cannot exist.
    public func intParam(_ name: String, in range: ClosedRange<Int>) throws -> Int {
        try RequestInteger.parse((params[name] ?? "")[...], "Path parameter '\(name)'", in: range)
    }
}
