/// JSON text parsed straight from bytes into JSON (JSON.swift), the host's and PluginKit's value.
/// JSONDecoder decodes such an enum by trying each case in turn and throwing on each miss,
/// which made parsing a request's 60-byte principal and a query's rows visible in profiles.
/// Strict RFC 8259: one value, nothing after it but white space, valid UTF-8, no lone
/// surrogates, at most `maxDepth` nested arrays and objects. A repeated key keeps its last value.
public enum JSONReader {
    public static let maxDepth = 512

    @inlinable public static func parse<Value: JSONReadable>(_ bytes: some Sequence<UInt8>, as _: Value.Type = Value.self)
        throws(JSONReadError) -> Value
    {
        let parsed = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONReadError) -> Value in
                var cursor = Cursor<Value>(buffer)
                return try cursor.document()
            }
        }
        if let parsed { return try parsed.get() }
        return try parse(Array(bytes))
    }
}

/// What was wrong with the text, and where.
public struct JSONReadError: Error, CustomStringConvertible, Sendable, Equatable {
    public let reason: String
    /// Bytes from the start of the text.
    public let offset: Int

    @inlinable public init(_ reason: String, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String { "\(reason) at byte \(offset)" }
}

/// A JSON enum the reader can build: one initializer from a parsed node.
public protocol JSONReadable {
    init(jsonNode: JSONNode<Self>)
}

extension JSONReader {
    @usableFromInline struct Cursor<Value: JSONReadable> {
        @usableFromInline let bytes: UnsafeBufferPointer<UInt8>
        @usableFromInline var index = 0
        @usableFromInline var depth = 0

        @inlinable init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        @inlinable mutating func document() throws(JSONReadError) -> Value {
            let value = try self.value()
            skipSpace()
            if index < bytes.count { throw JSONReadError("unexpected text after the JSON value", at: index) }
            return value
        }

        @inlinable mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        @inlinable mutating func value() throws(JSONReadError) -> Value {
            skipSpace()
            guard index < bytes.count else { throw JSONReadError("unexpected end of text, expected a value", at: index) }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object()
            case UInt8(ascii: "["): return try array()
            case UInt8(ascii: "\""): return Value(jsonNode: .string(try string()))
            case UInt8(ascii: "t"): try literal("true"); return Value(jsonNode: .bool(true))
            case UInt8(ascii: "f"): try literal("false"); return Value(jsonNode: .bool(false))
            case UInt8(ascii: "n"): try literal("null"); return Value(jsonNode: .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return Value(jsonNode: .number(try number()))
            default: throw JSONReadError("unexpected character '\(Unicode.Scalar(bytes[index]))', expected a value", at: index)
            }
        }

        @inlinable mutating func literal(_ word: StaticString) throws(JSONReadError) {
            let start = index
            for expected in UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
                guard index < bytes.count, bytes[index] == expected else {
                    throw JSONReadError("invalid literal, expected \(word)", at: start)
                }
                index += 1
            }
        }

        @inlinable mutating func nest() throws(JSONReadError) {
            depth += 1
            if depth > JSONReader.maxDepth { throw JSONReadError("nested deeper than \(JSONReader.maxDepth) levels", at: index) }
        }

        /// At an opening bracket: elements, each read by `element`, separated by commas up to `close`.
        @inlinable mutating func sequence(closing close: UInt8, _ name: String, _ element: (inout Self) throws(JSONReadError) -> Void)
            throws(JSONReadError)
        {
            try nest()
            index += 1
            skipSpace()
            if index < bytes.count, bytes[index] == close {
                index += 1
                depth -= 1
                return
            }
            while true {
                try element(&self)
                skipSpace()
                guard index < bytes.count else { throw JSONReadError("unterminated \(name)", at: index) }
                switch bytes[index] {
                case UInt8(ascii: ","): index += 1
                case close:
                    index += 1
                    depth -= 1
                    return
                default: throw JSONReadError("expected ',' or '\(Unicode.Scalar(close))' in an \(name)", at: index)
                }
            }
        }

        @inlinable mutating func array() throws(JSONReadError) -> Value {
            var items: [Value] = []
            try sequence(closing: UInt8(ascii: "]"), "array") { (cursor: inout Self) throws(JSONReadError) in
                items.append(try cursor.value())
            }
            return Value(jsonNode: .array(items))
        }

        @inlinable mutating func object() throws(JSONReadError) -> Value {
            var members: [String: Value] = [:]
            try sequence(closing: UInt8(ascii: "}"), "object") { (cursor: inout Self) throws(JSONReadError) in
                cursor.skipSpace()
                guard cursor.index < cursor.bytes.count, cursor.bytes[cursor.index] == UInt8(ascii: "\"") else {
                    throw JSONReadError("expected a member name in double quotes", at: cursor.index)
                }
                let key = try cursor.string()
                cursor.skipSpace()
                guard cursor.index < cursor.bytes.count, cursor.bytes[cursor.index] == UInt8(ascii: ":") else {
                    throw JSONReadError("expected ':' after a member name", at: cursor.index)
                }
                cursor.index += 1
                members[key] = try cursor.value()
            }
            return Value(jsonNode: .object(members))
        }

        /// At the opening quote. Most strings have no escapes: they become a String in one copy.
        @inlinable mutating func string() throws(JSONReadError) -> String {
            let open = index
            index += 1
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let text = try utf8(UnsafeBufferPointer(rebasing: bytes[start..<index]), at: start)
                    index += 1
                    return text
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
                index += 1
            }
            var out = Array(bytes[start..<index])
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return try out.withUnsafeBufferPointer { buffer throws(JSONReadError) in try utf8(buffer, at: start) }
                case UInt8(ascii: "\\"):
                    index += 1
                    try escape(into: &out)
                case 0..<0x20:
                    throw JSONReadError("control character in a string (escape it)", at: index)
                default:
                    out.append(byte)
                    index += 1
                }
            }
            throw JSONReadError("unterminated string", at: open)
        }

        @inlinable func utf8(_ buffer: UnsafeBufferPointer<UInt8>, at offset: Int) throws(JSONReadError) -> String {
            guard let text = String(validating: buffer, as: UTF8.self) else { throw JSONReadError("invalid UTF-8 in a string", at: offset) }
            return text
        }

        /// After a backslash.
        @inlinable mutating func escape(into out: inout [UInt8]) throws(JSONReadError) {
            guard index < bytes.count else { throw JSONReadError("unterminated string", at: index) }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(byte)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                let at = index - 2
                var unit = try hex4()
                if (0xD800...0xDBFF).contains(unit) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw JSONReadError("lone surrogate in a \\u escape", at: at)
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw JSONReadError("lone surrogate in a \\u escape", at: at) }
                    unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(unit) {
                    throw JSONReadError("lone surrogate in a \\u escape", at: at)
                }
                out.append(contentsOf: String(Character(Unicode.Scalar(unit)!)).utf8)
            default: throw JSONReadError("invalid escape '\\\(Unicode.Scalar(byte))'", at: index - 2)
            }
        }

        @inlinable mutating func hex4() throws(JSONReadError) -> UInt32 {
            var unit: UInt32 = 0
            for _ in 0..<4 {
                guard index < bytes.count else { throw JSONReadError("unterminated \\u escape", at: index) }
                let byte = bytes[index]
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: throw JSONReadError("expected four hex digits after \\u", at: index)
                }
                unit = unit << 4 | digit
                index += 1
            }
            return unit
        }

        /// RFC 8259's grammar, checked; whole numbers of up to 15 digits are converted
        /// directly, the rest by the standard library's exact parser.
        @inlinable mutating func number() throws(JSONReadError) -> Double {
            let start = index
            var negative = false
            if bytes[index] == UInt8(ascii: "-") {
                negative = true
                index += 1
            }
            var whole: Int64 = 0
            var digits = 0
            guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else {
                throw JSONReadError("expected a digit", at: index)
            }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                digits = 1
            } else {
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                    if digits < 18 { whole = whole * 10 + Int64(bytes[index] - UInt8(ascii: "0")) }
                    digits += 1
                    index += 1
                }
            }
            var simple = digits <= 15
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                simple = false
                index += 1
                try digitRun()
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                simple = false
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                try digitRun()
            }
            if simple { return negative ? -Double(whole) : Double(whole) }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            guard let value = Double(text), value.isFinite else { throw JSONReadError("number out of range", at: start) }
            return value
        }

        @inlinable mutating func digitRun() throws(JSONReadError) {
            let first = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            if index == first { throw JSONReadError("expected a digit", at: index) }
        }
    }
}
