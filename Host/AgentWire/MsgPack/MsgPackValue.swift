/// One msgpack value. Maps keep their wire order (an array of pairs, not a dictionary) so
/// that what Garrison encodes is byte-for-byte what another encoder given the same ordered
/// map writes, and so that a decoded map can be re-encoded unchanged.
public enum MsgPackValue: Sendable, Equatable {
    case `nil`
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case binary([UInt8])
    case array([MsgPackValue])
    case map([MsgPackPair])

    /// The first value under a string key, as decoders that ignore duplicates do.
    public subscript(key: String) -> MsgPackValue? {
        guard case .map(let pairs) = self else { return nil }
        return pairs.first { $0.key == .string(key) }?.value
    }

    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// Integers of either sign, when they fit an Int.
    public var intValue: Int? {
        switch self {
        case .int(let number): return Int(exactly: number)
        case .uint(let number): return Int(exactly: number)
        default: return nil
        }
    }

    /// Any number: agents encode Go float64 fields as floats and int fields as integers.
    public var doubleValue: Double? {
        switch self {
        case .double(let number): return number
        case .int(let number): return Double(number)
        case .uint(let number): return Double(number)
        default: return nil
        }
    }
}

public struct MsgPackPair: Sendable, Equatable {
    public var key: MsgPackValue
    public var value: MsgPackValue

    public init(_ key: MsgPackValue, _ value: MsgPackValue) {
        self.key = key
        self.value = value
    }
}

extension MsgPackValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: MsgPackValue...) { self = .array(elements) }

    /// A map with string keys in the given order.
    public static func object(_ pairs: KeyValuePairs<String, MsgPackValue>) -> MsgPackValue {
        .map(pairs.map { MsgPackPair(.string($0.key), $0.value) })
    }
}
