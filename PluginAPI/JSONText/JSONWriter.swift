/// JSON text written straight into bytes, for the JSON value the host and PluginKit share.
/// JSONEncoder goes through Codable boxes for every member, and at the top of request
/// profiles; these give the same text it gives with sortedKeys and withoutEscapingSlashes.
public enum JSONWriter {
    @usableFromInline static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
    public static let null: [UInt8] = Array("null".utf8)
    public static let `true`: [UInt8] = Array("true".utf8)
    public static let `false`: [UInt8] = Array("false".utf8)

    /// Whole numbers without ".0" (ids stay ids); NaN and infinity, which JSON lacks, as null.
    @inlinable public static func number(_ value: Double, into out: inout [UInt8]) {
        guard value.isFinite else { out.append(contentsOf: null); return }
        if value.rounded() == value, abs(value) < 9.2e18 {
            out.append(contentsOf: String(Int64(value)).utf8)
        } else {
            out.append(contentsOf: "\(value)".utf8)
        }
    }

    @inlinable public static func string(_ value: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escape: copied in one go rather than byte by byte.
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out.append(contentsOf: value.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(byte)
            case UInt8(ascii: "\n"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0x08: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "f"))
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `[a,b,...]`, each element written by `element`.
    @inlinable public static func array<C: Collection>(_ items: C, into out: inout [UInt8], _ element: (C.Element, inout [UInt8]) -> Void) {
        out.append(UInt8(ascii: "["))
        var first = true
        for item in items {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            element(item, &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// `{"k":v,...}` with keys sorted, each value written by `value`.
    @inlinable public static func object<V>(_ members: [String: V], into out: inout [UInt8], _ value: (V, inout [UInt8]) -> Void) {
        out.append(UInt8(ascii: "{"))
        for (index, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            string(member.key, into: &out)
            out.append(UInt8(ascii: ":"))
            value(member.value, &out)
        }
        out.append(UInt8(ascii: "}"))
    }
}

/// One JSON value's shape, which a value type hands JSONWriter and JSONReader builds it from.
/// JSON is the one such type today; the reader and writer stay generic over it so that they
/// are specialised where they are inlined.
public enum JSONNode<Value> {
    case null, bool(Bool), number(Double), string(String), array([Value]), object([String: Value])
}

public protocol JSONWritable {
    var jsonNode: JSONNode<Self> { get }
}

extension JSONWritable {
    /// Appends this value's JSON text.
    @inlinable public func writeJSON(into out: inout [UInt8]) {
        switch jsonNode {
        case .null: out.append(contentsOf: JSONWriter.null)
        case .bool(let value): out.append(contentsOf: value ? JSONWriter.true : JSONWriter.false)
        case .number(let value): JSONWriter.number(value, into: &out)
        case .string(let value): JSONWriter.string(value, into: &out)
        case .array(let values): JSONWriter.array(values, into: &out) { $0.writeJSON(into: &$1) }
        case .object(let members): JSONWriter.object(members, into: &out) { $0.writeJSON(into: &$1) }
        }
    }

    /// The JSON text as UTF-8.
    @inlinable public var jsonBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        writeJSON(into: &out)
        return out
    }

    /// The JSON text as a String (a SQL parameter, a log line).
    @inlinable public var jsonText: String { String(decoding: jsonBytes, as: UTF8.self) }
}
