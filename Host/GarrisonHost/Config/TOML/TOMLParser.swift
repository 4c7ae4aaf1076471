// A hand-written TOML 1.0 parser for Garrison's config files (no TOML package is
// available offline).
//
// The parser walks the document's UTF-8 bytes once, tracking line and column so every
// error can point at the spot to fix. It builds a tree of `TableNode`s that remember how
// each table came to exist, because TOML's rules for reopening a table depend on that, and
// converts the finished tree to plain `TOMLTable` values at the end.
//
// Input is never trusted: malformed documents produce a `TOMLError`, never a trap, and
// nesting is capped so hostile input cannot exhaust the stack.

/// A parse failure, located by 1-based line and column (columns count Unicode scalars).
public struct TOMLError: Error, Sendable, CustomStringConvertible, Equatable {
    public let line: Int
    public let column: Int
    public let message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}

public enum TOMLParser {
    /// How deep tables and arrays may nest. Parsing, JSON rendering and equality all
    /// recurse over the result, so the cap keeps them safe on hostile input.
    public static let maxNestingDepth = 100

    /// Parses a whole TOML document into its root table.
    public static func parse(_ text: String) throws(TOMLError) -> TOMLTable {
        var parser = DocumentParser(bytes: Array(text.utf8))
        return try parser.parseDocument()
    }
}

// MARK: - Bytes

/// Byte constants and classes. A namespace rather than a `UInt8` extension, so these
/// names cannot clash with byte helpers declared elsewhere in the module.
private enum Byte {
    static let tab: UInt8 = 0x09
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22
    static let hash: UInt8 = 0x23
    static let apostrophe: UInt8 = 0x27
    static let plus: UInt8 = 0x2B
    static let comma: UInt8 = 0x2C
    static let minus: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E
    static let colon: UInt8 = 0x3A
    static let equals: UInt8 = 0x3D
    static let leftBracket: UInt8 = 0x5B
    static let backslash: UInt8 = 0x5C
    static let rightBracket: UInt8 = 0x5D
    static let underscore: UInt8 = 0x5F
    static let leftBrace: UInt8 = 0x7B
    static let rightBrace: UInt8 = 0x7D

    static func isDecimalDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    static func isASCIILetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }

    static func hexDigitValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }

    /// `A-Z a-z 0-9 _ -`
    static func isBareKeyCharacter(_ byte: UInt8) -> Bool {
        isASCIILetter(byte) || isDecimalDigit(byte) || byte == underscore || byte == minus
    }

    /// Control characters TOML forbids raw in strings and comments: everything below
    /// U+0020 except tab, and DEL. Line breaks are included; callers handle them first.
    static func isForbiddenControl(_ byte: UInt8) -> Bool { (byte < 0x20 && byte != tab) || byte == 0x7F }

    /// UTF-8 continuation bytes do not start a character, so columns skip them.
    static func isUTF8Continuation(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }

    static func unicodeName(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}

// MARK: - Message helpers

private func text(_ bytes: some Collection<UInt8>) -> String {
    String(decoding: bytes, as: UTF8.self)
}

/// Renders a key path for messages: `server.port`, or `"a.'b c'"` style for odd keys.
private func quoted(_ path: some Collection<String>) -> String {
    "\"" + displayKeyPath(path) + "\""
}

private func displayKeyPath(_ path: some Collection<String>) -> String {
    path.map { key in
        !key.isEmpty && key.utf8.allSatisfy(Byte.isBareKeyCharacter) ? key : "'\(key)'"
    }.joined(separator: ".")
}

/// "a string", "an integer", ... A table stored as a value can only be an inline table.
private func describe(_ value: TOMLValue) -> String {
    switch value {
    case .table: return "an inline table"
    case .integer, .array: return "an \(value.typeName)"
    default: return "a \(value.typeName)"
    }
}

// MARK: - Table tree under construction

/// A table being built. `origin` decides whether a later header or dotted key may add
/// to it; see `DocumentParser.defineTable` and `DocumentParser.resolveDottedKey`.
private final class TableNode {
    enum Origin {
        /// Created as a parent by a header (`a` for `[a.b]`); may still be defined once.
        case implicit
        /// Defined by a `[header]`; the root counts as one.
        case header
        /// Created by a dotted key such as `a.b = 1`.
        case dotted
        /// An element of an array of tables, `[[a]]`.
        case arrayElement
        /// The root of an inline table `{ ... }`.
        case inline
    }

    enum Slot {
        /// A finished value. Inline tables and static arrays live here, which makes them
        /// closed to headers and dotted keys without extra bookkeeping.
        case value(TOMLValue)
        case table(TableNode)
        case tableArray(TableArrayNode)
    }

    struct Entry {
        let slot: Slot
        var line: Int
    }

    var origin: Origin
    let depth: Int
    private var keys: [String] = []
    private var entries: [String: Entry] = [:]

    init(origin: Origin, depth: Int) {
        self.origin = origin
        self.depth = depth
    }

    func entry(for key: String) -> Entry? { entries[key] }

    func add(_ slot: Slot, for key: String, line: Int) {
        if entries[key] == nil { keys.append(key) }
        entries[key] = Entry(slot: slot, line: line)
    }

    /// An implicit table's line moves to the header that finally defines it, so later
    /// "first defined on line N" messages name the header the user wrote.
    func setLine(_ line: Int, for key: String) {
        entries[key]?.line = line
    }

    func snapshot() -> TOMLTable {
        var table = TOMLTable()
        for key in keys {
            guard let entry = entries[key] else { continue }
            let value: TOMLValue
            switch entry.slot {
            case .value(let finished): value = finished
            case .table(let node): value = .table(node.snapshot())
            case .tableArray(let array): value = .array(array.elements.map { .table($0.snapshot()) })
            }
            table.set(value, forKey: key, line: entry.line)
        }
        return table
    }
}

/// The growing list behind `[[name]]`; a class so appending goes through the parent's entry.
private final class TableArrayNode {
    private(set) var elements: [TableNode]

    init(first: TableNode) { elements = [first] }

    var last: TableNode? { elements.last }

    func append(_ element: TableNode) { elements.append(element) }
}

// MARK: - Parser

/// A point in the source, kept so an error can point at the start of a token.
private struct SourcePosition {
    let offset: Int
    let line: Int
    let lineStart: Int
}

private struct DocumentParser {
    private let bytes: [UInt8]
    private var offset = 0
    private var line = 1
    private var lineStart = 0
    private let root = TableNode(origin: .header, depth: 0)
    /// The table that `key = value` lines go into: the root, or the last header's table.
    private var currentTable: TableNode

    init(bytes: [UInt8]) {
        self.bytes = bytes
        currentTable = root
        // A byte order mark is an encoding artifact, not content.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            offset = 3
            lineStart = 3
        }
    }

    mutating func parseDocument() throws(TOMLError) -> TOMLTable {
        while true {
            skipWhitespace()
            guard let byte = peek() else { break }
            switch byte {
            case Byte.hash, Byte.lineFeed, Byte.carriageReturn:
                try finishLine(after: nil)
            case Byte.leftBracket:
                let header = try parseTableHeader()
                try finishLine(after: "table header \(header)")
            default:
                let path = try parseKeyValue(into: currentTable)
                try finishLine(after: "the value of \(quoted(path))")
            }
        }
        return root.snapshot()
    }

    // MARK: Cursor

    private var position: SourcePosition {
        SourcePosition(offset: offset, line: line, lineStart: lineStart)
    }

    private func peek(_ ahead: Int = 0) -> UInt8? {
        let index = offset + ahead
        return index < bytes.count ? bytes[index] : nil
    }

    private func hasPrefix(_ literal: String) -> Bool {
        var index = offset
        for byte in literal.utf8 {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
        }
        return true
    }

    private func error(_ message: String, at position: SourcePosition? = nil) -> TOMLError {
        let spot = position ?? self.position
        let column = 1 + bytes[spot.lineStart..<spot.offset].lazy.filter { !Byte.isUTF8Continuation($0) }.count
        return TOMLError(line: spot.line, column: column, message: message)
    }

    /// What sits at the cursor, for "expected X, found Y" messages.
    private func describeNext() -> String {
        guard let byte = peek() else { return "end of input" }
        switch byte {
        case Byte.lineFeed, Byte.carriageReturn:
            return "end of line"
        case Byte.equals, Byte.comma, Byte.leftBracket, Byte.rightBracket, Byte.leftBrace, Byte.rightBrace, Byte.hash, Byte.dot:
            return "'\(text([byte]))'"
        default:
            if Byte.isForbiddenControl(byte) { return "control character \(Byte.unicodeName(byte))" }
        }
        var end = offset
        while end < bytes.count, end - offset < 24 {
            let next = bytes[end]
            if next == Byte.space || next == Byte.tab || next == Byte.comma || next == Byte.rightBracket
                || next == Byte.rightBrace || next == Byte.hash || Byte.isForbiddenControl(next) { break }
            end += 1
        }
        // Never cut a multi-byte character in half.
        while end < bytes.count, Byte.isUTF8Continuation(bytes[end]) { end += 1 }
        return "\"\(text(bytes[offset..<end]))\""
    }

    // MARK: Whitespace, comments, line ends

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == Byte.space || byte == Byte.tab { offset += 1 }
    }

    private mutating func skipComment() throws(TOMLError) {
        guard peek() == Byte.hash else { return }
        offset += 1
        while let byte = peek(), byte != Byte.lineFeed, byte != Byte.carriageReturn {
            if Byte.isForbiddenControl(byte) {
                throw error("control character \(Byte.unicodeName(byte)) is not allowed in a comment")
            }
            offset += 1
        }
    }

    /// Consumes LF or CRLF and starts a new line; returns false if not at a line break.
    private mutating func consumeNewline() throws(TOMLError) -> Bool {
        guard let byte = peek() else { return false }
        switch byte {
        case Byte.lineFeed:
            offset += 1
        case Byte.carriageReturn:
            guard peek(1) == Byte.lineFeed else {
                throw error("a carriage return must be followed by a line feed")
            }
            offset += 2
        default:
            return false
        }
        line += 1
        lineStart = offset
        return true
    }

    /// Each expression must be followed by nothing but whitespace, a comment and a line
    /// break. `what` names the expression for the error message; it is an autoclosure so
    /// the common, valid case builds no strings.
    private mutating func finishLine(after what: @autoclosure () -> String?) throws(TOMLError) {
        skipWhitespace()
        try skipComment()
        if peek() == nil { return }
        if try consumeNewline() { return }
        let context = what().map { " after \($0)" } ?? ""
        throw error("expected a newline\(context), found \(describeNext())")
    }

    /// Inside arrays, values may be separated by line breaks and comments.
    private mutating func skipArrayTrivia() throws(TOMLError) {
        while true {
            skipWhitespace()
            try skipComment()
            guard try consumeNewline() else { return }
        }
    }

    // MARK: Keys

    /// `key`, `"quoted key"`, `'literal key'`, or any of these joined by dots.
    private mutating func parseKey() throws(TOMLError) -> [String] {
        var path = [try parseSimpleKey()]
        while true {
            skipWhitespace()
            guard peek() == Byte.dot else { return path }
            offset += 1
            skipWhitespace()
            path.append(try parseSimpleKey())
        }
    }

    private mutating func parseSimpleKey() throws(TOMLError) -> String {
        switch peek() {
        case .some(Byte.quote):
            guard !hasPrefix("\"\"\"") else { throw error("a multi-line string cannot be used as a key") }
            return try parseBasicString()
        case .some(Byte.apostrophe):
            guard !hasPrefix("'''") else { throw error("a multi-line string cannot be used as a key") }
            return try parseLiteralString()
        default:
            let start = offset
            while let byte = peek(), Byte.isBareKeyCharacter(byte) { offset += 1 }
            guard offset > start else { throw error("expected a key, found \(describeNext())") }
            return text(bytes[start..<offset])
        }
    }

    // MARK: Key/value pairs

    /// Parses `key = value` into `table` (the current section or an inline table) and
    /// returns the key path for later messages.
    private mutating func parseKeyValue(into table: TableNode) throws(TOMLError) -> [String] {
        let keyPosition = position
        let path = try parseKey()
        skipWhitespace()
        guard peek() == Byte.equals else {
            throw error("expected '=' after key \(quoted(path)), found \(describeNext())")
        }
        offset += 1
        skipWhitespace()

        let (target, leaf) = try resolveDottedKey(path, in: table, at: keyPosition)
        if let existing = target.entry(for: leaf) {
            throw error("duplicate key \(quoted(path)) (first defined on line \(existing.line))", at: keyPosition)
        }
        let value = try parseValue(depth: target.depth + 1)
        target.add(.value(value), for: leaf, line: keyPosition.line)
        return path
    }

    /// Walks the dotted prefix of `path` from `table`, creating tables as needed, and
    /// returns the table that receives the last key. Dotted keys may only extend tables
    /// that dotted keys created: a table defined by a header, an array of tables, or a
    /// value cannot be reopened this way.
    private func resolveDottedKey(
        _ path: [String], in table: TableNode, at keyPosition: SourcePosition
    ) throws(TOMLError) -> (TableNode, String) {
        guard let leaf = path.last else { throw error("expected a key", at: keyPosition) }
        var node = table
        for index in path.indices.dropLast() {
            let key = path[index]
            guard let entry = node.entry(for: key) else {
                node = try addTable(key, to: node, origin: .dotted, at: keyPosition)
                continue
            }
            var prefix: String { quoted(path[...index]) }
            switch entry.slot {
            case .table(let child):
                switch child.origin {
                case .dotted:
                    node = child
                case .implicit:
                    // Only named as a header's parent so far; this defines it.
                    child.origin = .dotted
                    node = child
                case .header, .arrayElement, .inline:
                    throw error(
                        "cannot add \(quoted(path)) with a dotted key: table \(prefix) was already defined by a header on line \(entry.line)",
                        at: keyPosition)
                }
            case .tableArray:
                throw error(
                    "cannot add \(quoted(path)) with a dotted key: \(prefix) is an array of tables (defined on line \(entry.line))",
                    at: keyPosition)
            case .value(let value):
                throw error(
                    "cannot define \(quoted(path)) with a dotted key: \(prefix) is already \(describe(value)) (defined on line \(entry.line))",
                    at: keyPosition)
            }
        }
        return (node, leaf)
    }

    // MARK: Table headers

    /// Parses `[a.b]` or `[[a.b]]`, makes its table current, and returns it as written.
    private mutating func parseTableHeader() throws(TOMLError) -> String {
        let headerPosition = position
        offset += 1
        let isArrayOfTables = peek() == Byte.leftBracket
        if isArrayOfTables { offset += 1 }
        skipWhitespace()
        let path = try parseKey()
        skipWhitespace()
        let header = isArrayOfTables ? "[[\(displayKeyPath(path))]]" : "[\(displayKeyPath(path))]"
        guard peek() == Byte.rightBracket, !isArrayOfTables || peek(1) == Byte.rightBracket else {
            let closing = isArrayOfTables ? "]]" : "]"
            throw error("expected '\(closing)' to close table header \(header), found \(describeNext())")
        }
        offset += isArrayOfTables ? 2 : 1
        currentTable = isArrayOfTables
            ? try appendTableArrayElement(path, header: header, at: headerPosition)
            : try defineTable(path, header: header, at: headerPosition)
        return header
    }

    /// `[a.b]`: tables may be defined once; an implicit parent may be defined later, but
    /// a table made by dotted keys may not be reopened by a header.
    private func defineTable(
        _ path: [String], header: String, at headerPosition: SourcePosition
    ) throws(TOMLError) -> TableNode {
        let parent = try headerParent(of: path, header: header, at: headerPosition)
        guard let leaf = path.last else { throw error("expected a key", at: headerPosition) }
        guard let entry = parent.entry(for: leaf) else {
            return try addTable(leaf, to: parent, origin: .header, at: headerPosition)
        }
        switch entry.slot {
        case .table(let table):
            switch table.origin {
            case .implicit:
                table.origin = .header
                parent.setLine(headerPosition.line, for: leaf)
                return table
            case .dotted:
                throw error(
                    "cannot define table \(header): it was already defined by dotted keys on line \(entry.line)",
                    at: headerPosition)
            case .header, .arrayElement, .inline:
                throw error("duplicate table \(header) (first defined on line \(entry.line))", at: headerPosition)
            }
        case .tableArray:
            throw error(
                "cannot define table \(header): \(quoted(path)) is already an array of tables (defined on line \(entry.line))",
                at: headerPosition)
        case .value(let value):
            throw error(
                "cannot define table \(header): \(quoted(path)) is already \(describe(value)) (defined on line \(entry.line))",
                at: headerPosition)
        }
    }

    /// `[[a.b]]`: starts a new element of the array of tables `a.b`.
    private func appendTableArrayElement(
        _ path: [String], header: String, at headerPosition: SourcePosition
    ) throws(TOMLError) -> TableNode {
        let parent = try headerParent(of: path, header: header, at: headerPosition)
        guard let leaf = path.last else { throw error("expected a key", at: headerPosition) }
        let element = try makeTable(origin: .arrayElement, depth: parent.depth + 1, at: headerPosition)
        guard let entry = parent.entry(for: leaf) else {
            parent.add(.tableArray(TableArrayNode(first: element)), for: leaf, line: headerPosition.line)
            return element
        }
        switch entry.slot {
        case .tableArray(let array):
            array.append(element)
            return element
        case .table:
            throw error(
                "cannot define array of tables \(header): \(quoted(path)) is already a table (defined on line \(entry.line))",
                at: headerPosition)
        case .value(let value):
            throw error(
                "cannot define array of tables \(header): \(quoted(path)) is already \(describe(value)) (defined on line \(entry.line))",
                at: headerPosition)
        }
    }

    /// Walks a header's prefix from the root, creating implicit tables. Through an array
    /// of tables the path continues in its most recent element, as TOML specifies.
    private func headerParent(
        of path: [String], header: String, at headerPosition: SourcePosition
    ) throws(TOMLError) -> TableNode {
        var node = root
        for index in path.indices.dropLast() {
            let key = path[index]
            guard let entry = node.entry(for: key) else {
                node = try addTable(key, to: node, origin: .implicit, at: headerPosition)
                continue
            }
            switch entry.slot {
            case .table(let child):
                node = child
            case .tableArray(let array):
                guard let last = array.last else {
                    throw error("cannot define \(header): array of tables \(quoted(path[...index])) is empty", at: headerPosition)
                }
                node = last
            case .value(let value):
                throw error(
                    "cannot define \(header): \(quoted(path[...index])) is already \(describe(value)) (defined on line \(entry.line))",
                    at: headerPosition)
            }
        }
        return node
    }

    private func addTable(
        _ key: String, to parent: TableNode, origin: TableNode.Origin, at position: SourcePosition
    ) throws(TOMLError) -> TableNode {
        let child = try makeTable(origin: origin, depth: parent.depth + 1, at: position)
        parent.add(.table(child), for: key, line: position.line)
        return child
    }

    private func makeTable(
        origin: TableNode.Origin, depth: Int, at position: SourcePosition
    ) throws(TOMLError) -> TableNode {
        try checkDepth(depth, at: position)
        return TableNode(origin: origin, depth: depth)
    }

    private func checkDepth(_ depth: Int, at position: SourcePosition) throws(TOMLError) {
        guard depth <= TOMLParser.maxNestingDepth else {
            throw error("tables and arrays are nested more than \(TOMLParser.maxNestingDepth) levels deep", at: position)
        }
    }

    // MARK: Values

    /// Parses one value; `depth` is its nesting level, for the depth cap.
    private mutating func parseValue(depth: Int) throws(TOMLError) -> TOMLValue {
        guard let byte = peek() else { throw error("expected a value, found end of input") }
        switch byte {
        case Byte.quote:
            return .string(hasPrefix("\"\"\"") ? try parseMultilineBasicString() : try parseBasicString())
        case Byte.apostrophe:
            return .string(hasPrefix("'''") ? try parseMultilineLiteralString() : try parseLiteralString())
        case Byte.leftBracket:
            return try parseArray(depth: depth)
        case Byte.leftBrace:
            return try parseInlineTable(depth: depth)
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            return try parseBool()
        case Byte.plus, Byte.minus, 0x30...0x39:
            return try parseNumberOrDateTime()
        case UInt8(ascii: "i") where hasPrefix("inf"), UInt8(ascii: "n") where hasPrefix("nan"):
            return try parseNumberOrDateTime()
        default:
            throw error("expected a value, found \(describeNext())")
        }
    }

    private mutating func parseBool() throws(TOMLError) -> TOMLValue {
        let start = position
        let value: Bool
        if hasPrefix("true") {
            value = true
            offset += 4
        } else if hasPrefix("false") {
            value = false
            offset += 5
        } else {
            throw error("expected a value, found \(describeNext())")
        }
        // "trueish" is one bad word, not `true` followed by junk.
        if let next = peek(), Byte.isBareKeyCharacter(next) {
            offset = start.offset
            throw error("expected a value, found \(describeNext())", at: start)
        }
        return .bool(value)
    }

    // MARK: Numbers and date-times

    /// Numbers and date-times share a first character, so scan the whole token first and
    /// decide by its shape.
    private mutating func parseNumberOrDateTime() throws(TOMLError) -> TOMLValue {
        let start = position
        scanNumberToken()
        // A space may separate date and time: `1979-05-27 07:32:00`.
        if offset - start.offset == 10, DateTimeSyntax.isDate(bytes[start.offset..<offset]),
           peek() == Byte.space, peek(1).map(Byte.isDecimalDigit) == true, peek(2).map(Byte.isDecimalDigit) == true,
           peek(3) == Byte.colon {
            offset += 1
            scanNumberToken()
        }
        let token = Array(bytes[start.offset..<offset])
        if DateTimeSyntax.looksLikeDateTime(token) {
            guard DateTimeSyntax.isValid(token) else {
                throw error("invalid date-time \"\(text(token))\"", at: start)
            }
            return .datetime(text(token))
        }
        do {
            return try NumberSyntax.parse(token)
        } catch {
            throw self.error(error.message, at: start)
        }
    }

    private mutating func scanNumberToken() {
        while let byte = peek(),
              Byte.isASCIILetter(byte) || Byte.isDecimalDigit(byte) || byte == Byte.underscore || byte == Byte.plus
                || byte == Byte.minus || byte == Byte.dot || byte == Byte.colon {
            offset += 1
        }
    }

    // MARK: Strings

    private mutating func parseBasicString() throws(TOMLError) -> String {
        let start = position
        offset += 1
        var buffer: [UInt8] = []
        while true {
            let runStart = offset
            while let byte = peek(), byte != Byte.quote, byte != Byte.backslash, !Byte.isForbiddenControl(byte) { offset += 1 }
            buffer.append(contentsOf: bytes[runStart..<offset])
            guard let byte = peek() else {
                throw error("unterminated string: expected a closing '\"'", at: start)
            }
            switch byte {
            case Byte.quote:
                offset += 1
                return text(buffer)
            case Byte.backslash:
                try parseEscape(into: &buffer)
            case Byte.lineFeed, Byte.carriageReturn:
                throw error(
                    "unterminated string: a basic string must close on the line it starts on (use \"\"\" for multi-line strings)",
                    at: start)
            default:
                throw error("control character \(Byte.unicodeName(byte)) must be escaped in a string")
            }
        }
    }

    private mutating func parseLiteralString() throws(TOMLError) -> String {
        let start = position
        offset += 1
        let contentStart = offset
        while let byte = peek(), byte != Byte.apostrophe, !Byte.isForbiddenControl(byte) { offset += 1 }
        guard let byte = peek() else {
            throw error("unterminated string: expected a closing \"'\"", at: start)
        }
        switch byte {
        case Byte.apostrophe:
            let content = text(bytes[contentStart..<offset])
            offset += 1
            return content
        case Byte.lineFeed, Byte.carriageReturn:
            throw error(
                "unterminated string: a literal string must close on the line it starts on (use ''' for multi-line strings)",
                at: start)
        default:
            throw error("control character \(Byte.unicodeName(byte)) is not allowed in a literal string")
        }
    }

    private mutating func parseMultilineBasicString() throws(TOMLError) -> String {
        let start = position
        offset += 3
        // A line break right after the opening delimiter is not part of the string.
        _ = try consumeNewline()
        var buffer: [UInt8] = []
        while true {
            let runStart = offset
            while let byte = peek(), byte != Byte.quote, byte != Byte.backslash, !Byte.isForbiddenControl(byte) { offset += 1 }
            buffer.append(contentsOf: bytes[runStart..<offset])
            guard let byte = peek() else {
                throw error("unterminated multi-line string: expected a closing '\"\"\"'", at: start)
            }
            switch byte {
            case Byte.quote:
                if try consumeQuoteRun(Byte.quote, into: &buffer) { return text(buffer) }
            case Byte.backslash:
                if try !skipLineEndingBackslash() { try parseEscape(into: &buffer) }
            case Byte.lineFeed, Byte.carriageReturn:
                _ = try consumeNewline()
                buffer.append(Byte.lineFeed)  // CRLF is normalized to LF.
            default:
                throw error("control character \(Byte.unicodeName(byte)) must be escaped in a string")
            }
        }
    }

    private mutating func parseMultilineLiteralString() throws(TOMLError) -> String {
        let start = position
        offset += 3
        _ = try consumeNewline()
        var buffer: [UInt8] = []
        while true {
            let runStart = offset
            while let byte = peek(), byte != Byte.apostrophe, !Byte.isForbiddenControl(byte) { offset += 1 }
            buffer.append(contentsOf: bytes[runStart..<offset])
            guard let byte = peek() else {
                throw error("unterminated multi-line string: expected a closing \"'''\"", at: start)
            }
            switch byte {
            case Byte.apostrophe:
                if try consumeQuoteRun(Byte.apostrophe, into: &buffer) { return text(buffer) }
            case Byte.lineFeed, Byte.carriageReturn:
                _ = try consumeNewline()
                buffer.append(Byte.lineFeed)
            default:
                throw error("control character \(Byte.unicodeName(byte)) is not allowed in a literal string")
            }
        }
    }

    /// At a run of quote characters in a multi-line string: returns true if the run
    /// closes the string. One or two quotes may sit just inside the closing delimiter
    /// (`""""` ends the string with one `"` of content).
    private mutating func consumeQuoteRun(_ quote: UInt8, into buffer: inout [UInt8]) throws(TOMLError) -> Bool {
        var run = 0
        while peek(run) == quote { run += 1 }
        if run < 3 {
            buffer.append(contentsOf: repeatElement(quote, count: run))
            offset += run
            return false
        }
        guard run <= 5 else {
            throw error("too many quotes: at most two may precede the closing delimiter of a multi-line string")
        }
        buffer.append(contentsOf: repeatElement(quote, count: run - 3))
        offset += run
        return true
    }

    /// A backslash that ends a line in a multi-line basic string (trailing whitespace
    /// allowed) joins lines: the line break and all whitespace after it are dropped.
    private mutating func skipLineEndingBackslash() throws(TOMLError) -> Bool {
        var ahead = 1
        while let byte = peek(ahead), byte == Byte.space || byte == Byte.tab { ahead += 1 }
        guard let byte = peek(ahead), byte == Byte.lineFeed || byte == Byte.carriageReturn else { return false }
        offset += ahead
        repeat { skipWhitespace() } while try consumeNewline()
        return true
    }

    private mutating func parseEscape(into buffer: inout [UInt8]) throws(TOMLError) {
        let escapePosition = position
        offset += 1
        guard let byte = peek() else {
            throw error("unterminated string: input ends inside an escape sequence", at: escapePosition)
        }
        switch byte {
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case Byte.quote: buffer.append(Byte.quote)
        case Byte.backslash: buffer.append(Byte.backslash)
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            offset += 1
            try parseUnicodeEscape(digits: byte == UInt8(ascii: "u") ? 4 : 8, into: &buffer, at: escapePosition)
            return
        default:
            let shown: String
            switch byte {
            case 0x21..<0x7F: shown = "\"\\\(text([byte]))\""
            case Byte.space, Byte.tab: shown = "(a backslash followed by whitespace)"
            case Byte.lineFeed, Byte.carriageReturn: shown = "(a backslash at the end of a line)"
            default: shown = "(a backslash followed by \(describeNext()))"
            }
            // Line-ending backslashes reach here only outside multi-line basic strings.
            throw error(
                "invalid escape sequence \(shown); valid escapes are \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX",
                at: escapePosition)
        }
        offset += 1
    }

    private mutating func parseUnicodeEscape(
        digits: Int, into buffer: inout [UInt8], at escapePosition: SourcePosition
    ) throws(TOMLError) {
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard let digit = peek().flatMap(Byte.hexDigitValue) else {
                throw error(
                    "invalid escape sequence: \\\(digits == 4 ? "u" : "U") must be followed by \(digits) hexadecimal digits",
                    at: escapePosition)
            }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw error(
                "invalid escape sequence: U+\(String(value, radix: 16, uppercase: true)) is not a Unicode scalar value",
                at: escapePosition)
        }
        buffer.append(contentsOf: String(scalar).utf8)
    }

    // MARK: Arrays and inline tables

    private mutating func parseArray(depth: Int) throws(TOMLError) -> TOMLValue {
        let start = position
        try checkDepth(depth, at: start)
        offset += 1
        var elements: [TOMLValue] = []
        while true {
            try skipArrayTrivia()
            if peek() == Byte.rightBracket {
                offset += 1
                return .array(elements)
            }
            if peek() == nil { throw error("unterminated array: expected ']'", at: start) }
            elements.append(try parseValue(depth: depth + 1))
            try skipArrayTrivia()
            switch peek() {
            case .some(Byte.comma):
                offset += 1
            case .some(Byte.rightBracket):
                offset += 1
                return .array(elements)
            case nil:
                throw error("unterminated array: expected ',' or ']'", at: start)
            default:
                throw error("expected ',' or ']' after array element, found \(describeNext())")
            }
        }
    }

    /// `{ k = v, ... }` on one line, no trailing comma (TOML 1.0). Dotted keys inside
    /// follow the same rules as in a section.
    private mutating func parseInlineTable(depth: Int) throws(TOMLError) -> TOMLValue {
        let start = position
        let table = try makeTable(origin: .inline, depth: depth, at: start)
        offset += 1
        skipWhitespace()
        if peek() == Byte.rightBrace {
            offset += 1
            return .table(table.snapshot())
        }
        while true {
            skipWhitespace()
            _ = try parseKeyValue(into: table)
            skipWhitespace()
            switch peek() {
            case .some(Byte.comma):
                offset += 1
                skipWhitespace()
                if peek() == Byte.rightBrace { throw error("a trailing comma is not allowed in an inline table") }
            case .some(Byte.rightBrace):
                offset += 1
                return .table(table.snapshot())
            case nil:
                throw error("unterminated inline table: expected '}'", at: start)
            default:
                throw error("expected ',' or '}' in inline table, found \(describeNext())")
            }
        }
    }
}

// MARK: - Number syntax

/// Why a number token was rejected; `DocumentParser` adds the position.
private struct SyntaxProblem: Error {
    let message: String
}

/// TOML integers (decimal, 0x, 0o, 0b, underscores between digits) and floats
/// (fraction, exponent, inf, nan). Validation is explicit because Swift's own numeric
/// parsers accept spellings TOML forbids, such as leading zeros or hex floats.
private enum NumberSyntax {
    static func parse(_ token: [UInt8]) throws(SyntaxProblem) -> TOMLValue {
        let spelled = text(token)
        func invalid(_ reason: String) -> SyntaxProblem {
            SyntaxProblem(message: "invalid number \"\(spelled)\": \(reason)")
        }

        let hasSign = token.first == Byte.plus || token.first == Byte.minus
        let isNegative = token.first == Byte.minus
        let body = token[(hasSign ? 1 : 0)...]

        if body.elementsEqual("inf".utf8) { return .float(isNegative ? -.infinity : .infinity) }
        if body.elementsEqual("nan".utf8) { return .float(.nan) }

        if body.count >= 2, body.first == UInt8(ascii: "0"), let radix = radix(prefix: body[body.startIndex + 1]) {
            guard !hasSign else { throw invalid("a sign is not allowed on hexadecimal, octal or binary integers") }
            let digits = try cleanDigits(body.dropFirst(2), radix: radix, invalid: invalid)
            guard let value = Int64(text(digits), radix: radix) else {
                throw SyntaxProblem(message: "integer \"\(spelled)\" does not fit in 64 bits")
            }
            return .integer(value)
        }

        // Decimal: integer part, optional fraction, optional exponent.
        var cleaned: [UInt8] = hasSign ? [token[0]] : []
        var index = body.startIndex
        let integerPart = body[index..<digitRunEnd(body, from: index)]
        let integerDigits = try cleanDigits(integerPart, radix: 10, invalid: invalid)
        if integerDigits.count > 1, integerDigits.first == UInt8(ascii: "0") {
            throw invalid("leading zeros are not allowed")
        }
        cleaned += integerDigits
        index = integerPart.endIndex

        var isFloat = false
        if index < body.endIndex, body[index] == Byte.dot {
            isFloat = true
            let fraction = body[(index + 1)..<digitRunEnd(body, from: index + 1)]
            guard !fraction.isEmpty else { throw invalid("expected digits after the decimal point") }
            cleaned.append(Byte.dot)
            cleaned += try cleanDigits(fraction, radix: 10, invalid: invalid)
            index = fraction.endIndex
        }
        if index < body.endIndex, body[index] | 0x20 == UInt8(ascii: "e") {
            isFloat = true
            cleaned.append(UInt8(ascii: "e"))
            index += 1
            if index < body.endIndex, body[index] == Byte.plus || body[index] == Byte.minus {
                cleaned.append(body[index])
                index += 1
            }
            // Unlike the integer part, the exponent may have leading zeros.
            let exponent = body[index..<digitRunEnd(body, from: index)]
            guard !exponent.isEmpty else { throw invalid("expected digits in the exponent") }
            cleaned += try cleanDigits(exponent, radix: 10, invalid: invalid)
            index = exponent.endIndex
        }
        guard index == body.endIndex else {
            throw invalid("unexpected \"\(text(body[index...]))\"")
        }

        if isFloat {
            guard let value = Double(text(cleaned)), value.isFinite else {
                throw SyntaxProblem(message: "float \"\(spelled)\" is out of range")
            }
            return .float(value)
        }
        guard let value = Int64(text(cleaned)) else {
            throw SyntaxProblem(message: "integer \"\(spelled)\" does not fit in 64 bits")
        }
        return .integer(value)
    }

    private static func radix(prefix: UInt8) -> Int? {
        switch prefix {
        case UInt8(ascii: "x"): return 16
        case UInt8(ascii: "o"): return 8
        case UInt8(ascii: "b"): return 2
        default: return nil
        }
    }

    /// End of the run of decimal digits and underscores starting at `start`.
    private static func digitRunEnd(_ bytes: ArraySlice<UInt8>, from start: Int) -> Int {
        var end = start
        while end < bytes.endIndex, Byte.isDecimalDigit(bytes[end]) || bytes[end] == Byte.underscore { end += 1 }
        return end
    }

    /// The digits of `run` without underscores, which must each sit between two digits.
    private static func cleanDigits(
        _ run: ArraySlice<UInt8>, radix: Int, invalid: (String) -> SyntaxProblem
    ) throws(SyntaxProblem) -> [UInt8] {
        guard !run.isEmpty else { throw invalid("expected digits") }
        var digits: [UInt8] = []
        var previousWasDigit = false
        for byte in run {
            if byte == Byte.underscore {
                guard previousWasDigit else { throw invalid("underscores must be between digits") }
                previousWasDigit = false
                continue
            }
            guard let value = Byte.hexDigitValue(byte), Int(value) < radix else {
                throw invalid("'\(text([byte]))' is not a valid digit")
            }
            digits.append(byte)
            previousWasDigit = true
        }
        guard previousWasDigit else { throw invalid("underscores must be between digits") }
        return digits
    }
}

// MARK: - Date-time syntax

/// Loose validation of RFC 3339 date-times as TOML uses them: field shapes and ranges
/// are checked, the text itself is kept as written.
private enum DateTimeSyntax {
    /// `YYYY-` or `HH:` at the start means the token is meant as a date or time.
    static func looksLikeDateTime(_ token: [UInt8]) -> Bool {
        if token.count >= 5, token[0..<4].allSatisfy(Byte.isDecimalDigit), token[4] == Byte.minus { return true }
        return token.count >= 3 && token[0..<2].allSatisfy(Byte.isDecimalDigit) && token[2] == Byte.colon
    }

    /// Offset date-time, local date-time, local date, or local time.
    static func isValid(_ token: [UInt8]) -> Bool {
        let all = token[...]
        if token.count >= 3, token[2] == Byte.colon {
            return timeEnd(all) == token.endIndex
        }
        guard token.count >= 10, isDate(all.prefix(10)) else { return false }
        if token.count == 10 { return true }
        guard [UInt8(ascii: "T"), UInt8(ascii: "t"), Byte.space].contains(token[10]),
              let end = timeEnd(all.dropFirst(11)) else { return false }
        let zone = all[end...]
        return zone.isEmpty || isOffset(zone)
    }

    static func isDate(_ text: ArraySlice<UInt8>) -> Bool {
        let start = text.startIndex
        guard text.count == 10, text[start + 4] == Byte.minus, text[start + 7] == Byte.minus,
              let year = number(text, start, 4), let month = number(text, start + 5, 2),
              let day = number(text, start + 8, 2), (1...12).contains(month) else { return false }
        return day >= 1 && day <= daysIn(month: month, year: year)
    }

    /// Index just past `HH:MM:SS[.fraction]` at the start of `text`, or nil.
    private static func timeEnd(_ text: ArraySlice<UInt8>) -> Int? {
        let start = text.startIndex
        guard text.count >= 8, text[start + 2] == Byte.colon, text[start + 5] == Byte.colon,
              let hour = number(text, start, 2), let minute = number(text, start + 3, 2),
              let second = number(text, start + 6, 2),
              hour < 24, minute < 60, second <= 60 else { return nil }  // 60: leap second
        var end = start + 8
        if end < text.endIndex, text[end] == Byte.dot {
            end += 1
            let fractionStart = end
            while end < text.endIndex, Byte.isDecimalDigit(text[end]) { end += 1 }
            guard end > fractionStart else { return nil }
        }
        return end
    }

    /// `Z` or `±HH:MM`.
    private static func isOffset(_ text: ArraySlice<UInt8>) -> Bool {
        let start = text.startIndex
        if text.count == 1 { return text[start] | 0x20 == UInt8(ascii: "z") }
        guard text.count == 6, text[start] == Byte.plus || text[start] == Byte.minus, text[start + 3] == Byte.colon,
              let hour = number(text, start + 1, 2), let minute = number(text, start + 4, 2) else { return false }
        return hour < 24 && minute < 60
    }

    private static func number(_ text: ArraySlice<UInt8>, _ start: Int, _ length: Int) -> Int? {
        guard start + length <= text.endIndex else { return nil }
        var value = 0
        for byte in text[start..<(start + length)] {
            guard Byte.isDecimalDigit(byte) else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
