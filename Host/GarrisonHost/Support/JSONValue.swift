import Foundation
import JSONText

/// A parsed JSON document. Request bodies are read into this so that every missing or
/// mistyped field can be named in a 400 instead of failing deep inside a decoder.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses with JSONReader (JSONValue+text), which, unlike JSONSerialization on Linux,
    /// keeps `true` and `1` apart; throws JSONReadError, which names what and where.
    public static func parse(_ data: Data) throws -> JSONValue {
        try JSONReader.parse(data)
    }

    /// The JSON text (JSONValue+text): keys sorted, slashes not escaped.
    public func serialized() -> Data { Data(jsonBytes) }

    public var stringValue: String? { if case .string(let v) = self { return v }; return nil }
    public var boolValue: Bool? { if case .bool(let v) = self { return v }; return nil }
    public var doubleValue: Double? { if case .number(let v) = self { return v }; return nil }
    public var intValue: Int? {
        if case .number(let v) = self, v.rounded() == v, abs(v) < 9e15 { return Int(v) }
        return nil
    }
    public var arrayValue: [JSONValue]? { if case .array(let v) = self { return v }; return nil }
    public var objectValue: [String: JSONValue]? { if case .object(let v) = self { return v }; return nil }
    public var isNull: Bool { if case .null = self { return true }; return false }

    public subscript(key: String) -> JSONValue? { objectValue?[key] }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue {
    public init(_ value: String?) { self = value.map { .string($0) } ?? .null }
    public init(_ value: Int?) { self = value.map { .number(Double($0)) } ?? .null }
    public init(_ value: Bool) { self = .bool(value) }
    public init(_ value: [String]) { self = .array(value.map { .string($0) }) }
    public init(_ value: [Int]) { self = .array(value.map { .number(Double($0)) }) }

    /// Reads a jsonb column's text back into a value (nil or broken text becomes `fallback`).
    public static func fromDatabase(_ text: String?, fallback: JSONValue = .null) -> JSONValue {
        guard let text, let data = text.data(using: .utf8), let value = try? JSONValue.parse(data) else { return fallback }
        return value
    }

    /// Text for a jsonb parameter.
    public var databaseText: String { String(decoding: jsonBytes, as: UTF8.self) }
}

extension JSONValue: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null; return }
        if let value = try? container.decode(Bool.self) { self = .bool(value); return }
        if let value = try? container.decode(Double.self) { self = .number(value); return }
        if let value = try? container.decode(String.self) { self = .string(value); return }
        if let value = try? container.decode([JSONValue].self) { self = .array(value); return }
        self = .object(try container.decode([String: JSONValue].self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            // Whole numbers print without ".0" so ids stay ids for clients.
            if value.rounded() == value, abs(value) < 9e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let values): try container.encode(values)
        case .object(let values): try container.encode(values)
        }
    }
}
