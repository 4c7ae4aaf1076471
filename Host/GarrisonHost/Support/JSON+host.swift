import Foundation
@_exported import JSONText

/// The host's helpers on JSON (JSONText): request bodies are read into it so that every
/// missing or mistyped field can be named in a 400 instead of failing deep inside a decoder.
extension JSON {
    /// Parses with JSONReader, which, unlike JSONSerialization on Linux, keeps `true` and `1`
    /// apart; throws JSONReadError, which names what and where.
    public static func parse(_ data: Data) throws -> JSON {
        try JSONReader.parse(data)
    }

    /// The JSON text: keys sorted, slashes not escaped.
    public func serialized() -> Data { Data(jsonBytes) }

    /// Reads a jsonb column's text back into a value (nil or broken text becomes `fallback`).
    public static func fromDatabase(_ text: String?, fallback: JSON = .null) -> JSON {
        guard let text, let data = text.data(using: .utf8), let value = try? JSON.parse(data) else { return fallback }
        return value
    }

    /// Text for a jsonb parameter.
    public var databaseText: String { String(decoding: jsonBytes, as: UTF8.self) }
}

/// The host's former name for JSON, kept for code written before the two were one type.
@available(*, deprecated, renamed: "JSON")
public typealias JSONValue = JSON
