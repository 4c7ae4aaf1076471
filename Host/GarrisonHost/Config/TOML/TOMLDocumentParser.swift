// The reader: a cursor over the document's UTF-8 bytes that tracks line and column, the
// top-level loop over lines, and whitespace, comments and line ends.

/// A point in the source, kept so an error can point at the start of a token.
struct TOMLSourcePosition {
    let offset: Int
    let line: Int
    let lineStart: Int
}

struct TOMLDocumentParser {
    let bytes: [UInt8]
    var offset = 0
    var line = 1
    var lineStart = 0
    let root = TOMLTableNode(origin: .header, depth: 0)
    /// The table that `key = value` lines go into: the root, or the last header's table.
    var currentTable: TOMLTableNode

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
            case TOMLByte.hash, TOMLByte.lineFeed, TOMLByte.carriageReturn:
                try finishLine(after: nil)
            case TOMLByte.leftBracket:
                let header = try parseTableHeader()
                try finishLine(after: "table header \(header)")
            default:
                let path = try parseKeyValue(into: currentTable)
                try finishLine(after: "the value of \(tomlQuoted(path))")
            }
        }
        return root.snapshot()
    }

    // MARK: Cursor

    var position: TOMLSourcePosition {
        TOMLSourcePosition(offset: offset, line: line, lineStart: lineStart)
    }

    func peek(_ ahead: Int = 0) -> UInt8? {
        let index = offset + ahead
        return index < bytes.count ? bytes[index] : nil
    }

    func hasPrefix(_ literal: String) -> Bool {
        var index = offset
        for byte in literal.utf8 {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
        }
        return true
    }

    func error(_ message: String, at position: TOMLSourcePosition? = nil) -> TOMLError {
        let spot = position ?? self.position
        let column = 1 + bytes[spot.lineStart..<spot.offset].lazy.filter { !TOMLByte.isUTF8Continuation($0) }.count
        return TOMLError(line: spot.line, column: column, message: message)
    }

    /// What sits at the cursor, for "expected X, found Y" messages.
    func describeNext() -> String {
        guard let byte = peek() else { return "end of input" }
        switch byte {
        case TOMLByte.lineFeed, TOMLByte.carriageReturn:
            return "end of line"
        case TOMLByte.equals, TOMLByte.comma, TOMLByte.leftBracket, TOMLByte.rightBracket, TOMLByte.leftBrace, TOMLByte.rightBrace,
            TOMLByte.hash, TOMLByte.dot:
            return "'\(tomlText([byte]))'"
        default:
            if TOMLByte.isForbiddenControl(byte) { return "control character \(TOMLByte.unicodeName(byte))" }
        }
        var end = offset
        while end < bytes.count, end - offset < 24 {
            let next = bytes[end]
            if next == TOMLByte.space || next == TOMLByte.tab || next == TOMLByte.comma || next == TOMLByte.rightBracket
                || next == TOMLByte.rightBrace || next == TOMLByte.hash || TOMLByte.isForbiddenControl(next)
            {
                break
            }
            end += 1
        }
        // Never cut a multi-byte character in half.
        while end < bytes.count, TOMLByte.isUTF8Continuation(bytes[end]) { end += 1 }
        return "\"\(tomlText(bytes[offset..<end]))\""
    }

    // MARK: Whitespace, comments, line ends

    mutating func skipWhitespace() {
        while let byte = peek(), byte == TOMLByte.space || byte == TOMLByte.tab { offset += 1 }
    }

    mutating func skipComment() throws(TOMLError) {
        guard peek() == TOMLByte.hash else { return }
        offset += 1
        while let byte = peek(), byte != TOMLByte.lineFeed, byte != TOMLByte.carriageReturn {
            if TOMLByte.isForbiddenControl(byte) {
                throw error("control character \(TOMLByte.unicodeName(byte)) is not allowed in a comment")
            }
            offset += 1
        }
    }

    /// Consumes LF or CRLF and starts a new line; returns false if not at a line break.
    mutating func consumeNewline() throws(TOMLError) -> Bool {
        guard let byte = peek() else { return false }
        switch byte {
        case TOMLByte.lineFeed:
            offset += 1
        case TOMLByte.carriageReturn:
            guard peek(1) == TOMLByte.lineFeed else {
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
    mutating func finishLine(after what: @autoclosure () -> String?) throws(TOMLError) {
        skipWhitespace()
        try skipComment()
        if peek() == nil { return }
        if try consumeNewline() { return }
        let context = what().map { " after \($0)" } ?? ""
        throw error("expected a newline\(context), found \(describeNext())")
    }

    /// Inside arrays, values may be separated by line breaks and comments.
    mutating func skipArrayTrivia() throws(TOMLError) {
        while true {
            skipWhitespace()
            try skipComment()
            guard try consumeNewline() else { return }
        }
    }
}
