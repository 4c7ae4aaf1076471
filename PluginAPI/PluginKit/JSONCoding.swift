#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The one JSON configuration PluginKit uses, and readable decoding errors.
enum JSONCoding {
    // JSONEncoder/JSONDecoder are Sendable and safe to share once configured.
    static let decoder = JSONDecoder()

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        // Stable output makes responses and tests reproducible.
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static func encode(_ value: some Encodable) throws -> Data {
        if let encoded = value as? EncodedJSON { return encoded.data }
        if let json = value as? JSON { return Data(json.jsonBytes) }
        return try encoder.encode(value)
    }

    /// `values` as one JSON array, e.g. the $1..$n parameters of db_query.
    /// Each element is encoded on its own because [any Encodable] is not
    /// itself Encodable.
    static func encodeArray(_ values: [any Encodable & Sendable]) throws -> Data {
        var out = Data("[".utf8)
        for (i, value) in values.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(try encoder.encode(value))
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    /// One short line about a decoding error, naming the key path, for
    /// settings errors and 400 answers.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .keyNotFound(let key, let ctx):
            return "missing key \"\(path(ctx.codingPath + [key]))\""
        case .valueNotFound(_, let ctx):
            return "\"\(path(ctx.codingPath))\" is null"
        case .typeMismatch(let type, let ctx):
            return "\"\(path(ctx.codingPath))\" is not \(article(type))"
        case .dataCorrupted(let ctx):
            return ctx.codingPath.isEmpty
                ? "not valid JSON"
                : "\"\(path(ctx.codingPath))\": \(ctx.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    private static func article(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int32.Type, is Int64.Type, is UInt.Type, is UInt32.Type,
            is UInt64.Type, is Double.Type, is Float.Type:
            "a number"
        default:
            "of type \(type)"
        }
    }
}
