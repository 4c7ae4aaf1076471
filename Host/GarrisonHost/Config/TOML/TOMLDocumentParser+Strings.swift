// The four TOML string forms (basic, literal, and their multi-line variants) and escapes.

extension TOMLDocumentParser {
    // MARK: Strings

    mutating func parseBasicString() throws(TOMLError) -> String {
        let start = position
        offset += 1
        var buffer: [UInt8] = []
        while true {
            let runStart = offset
            while let byte = peek(), byte != TOMLByte.quote, byte != TOMLByte.backslash, !TOMLByte.isForbiddenControl(byte) { offset += 1 }
            buffer.append(contentsOf: bytes[runStart..<offset])
            guard let byte = peek() else {
                throw error("unterminated string: expected a closing '\"'", at: start)
            }
            switch byte {
            case TOMLByte.quote:
                offset += 1
                return tomlText(buffer)
            case TOMLByte.backslash:
                try parseEscape(into: &buffer)
            case TOMLByte.lineFeed, TOMLByte.carriageReturn:
                throw error(
                    "unterminated string: a basic string must close on the line it starts on (use \"\"\" for multi-line strings)",
                    at: start)
            default:
                throw error("control character \(TOMLByte.unicodeName(byte)) must be escaped in a string")
            }
        }
    }

    mutating func parseLiteralString() throws(TOMLError) -> String {
        let start = position
        offset += 1
        let contentStart = offset
        while let byte = peek(), byte != TOMLByte.apostrophe, !TOMLByte.isForbiddenControl(byte) { offset += 1 }
        guard let byte = peek() else {
            throw error("unterminated string: expected a closing \"'\"", at: start)
        }
        switch byte {
        case TOMLByte.apostrophe:
            let content = tomlText(bytes[contentStart..<offset])
            offset += 1
            return content
        case TOMLByte.lineFeed, TOMLByte.carriageReturn:
            throw error(
                "unterminated string: a literal string must close on the line it starts on (use ''' for multi-line strings)",
                at: start)
        default:
            throw error("control character \(TOMLByte.unicodeName(byte)) is not allowed in a literal string")
        }
    }

    mutating func parseMultilineBasicString() throws(TOMLError) -> String {
        let start = position
        offset += 3
        // A line break right after the opening delimiter is not part of the string.
        _ = try consumeNewline()
        var buffer: [UInt8] = []
        while true {
            let runStart = offset
            while let byte = peek(), byte != TOMLByte.quote, byte != TOMLByte.backslash, !TOMLByte.isForbiddenControl(byte) { offset += 1 }
            buffer.append(contentsOf: bytes[runStart..<offset])
            guard let byte = peek() else {
                throw error("unterminated multi-line string: expected a closing '\"\"\"'", at: start)
            }
            switch byte {
            case TOMLByte.quote:
                if try consumeQuoteRun(TOMLByte.quote, into: &buffer) { return tomlText(buffer) }
            case TOMLByte.backslash:
                if try !skipLineEndingBackslash() { try parseEscape(into: &buffer) }
            case TOMLByte.lineFeed, TOMLByte.carriageReturn:
                _ = try consumeNewline()
                buffer.append(TOMLByte.lineFeed)  // CRLF is normalized to LF.
            default:
                throw error("control character \(TOMLByte.unicodeName(byte)) must be escaped in a string")
            }
        }
    }

    mutating func parseMultilineLiteralString() throws(TOMLError) -> String {
        let start = position
        offset += 3
        _ = try consumeNewline()
        var buffer: [UInt8] = []
        while true {
            let runStart = offset
            while let byte = peek(), byte != TOMLByte.apostrophe, !TOMLByte.isForbiddenControl(byte) { offset += 1 }
            buffer.append(contentsOf: bytes[runStart..<offset])
            guard let byte = peek() else {
                throw error("unterminated multi-line string: expected a closing \"'''\"", at: start)
            }
            switch byte {
            case TOMLByte.apostrophe:
                if try consumeQuoteRun(TOMLByte.apostrophe, into: &buffer) { return tomlText(buffer) }
            case TOMLByte.lineFeed, TOMLByte.carriageReturn:
                _ = try consumeNewline()
                buffer.append(TOMLByte.lineFeed)
            default:
                throw error("control character \(TOMLByte.unicodeName(byte)) is not allowed in a literal string")
            }
        }
    }

    /// At a run of quote characters in a multi-line string: returns true if the run
    /// closes the string. One or two quotes may sit just inside the closing delimiter
    /// (`""""` ends the string with one `"` of content).
    mutating func consumeQuoteRun(_ quote: UInt8, into buffer: inout [UInt8]) throws(TOMLError) -> Bool {
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
    mutating func skipLineEndingBackslash() throws(TOMLError) -> Bool {
        var ahead = 1
        while let byte = peek(ahead), byte == TOMLByte.space || byte == TOMLByte.tab { ahead += 1 }
        guard let byte = peek(ahead), byte == TOMLByte.lineFeed || byte == TOMLByte.carriageReturn else { return false }
        offset += ahead
        repeat { skipWhitespace() } while try consumeNewline()
        return true
    }

    mutating func parseEscape(into buffer: inout [UInt8]) throws(TOMLError) {
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
        case TOMLByte.quote: buffer.append(TOMLByte.quote)
        case TOMLByte.backslash: buffer.append(TOMLByte.backslash)
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            offset += 1
            try parseUnicodeEscape(digits: byte == UInt8(ascii: "u") ? 4 : 8, into: &buffer, at: escapePosition)
            return
        default:
            let shown: String
            switch byte {
            case 0x21..<0x7F: shown = "\"\\\(tomlText([byte]))\""
            case TOMLByte.space, TOMLByte.tab: shown = "(a backslash followed by whitespace)"
            case TOMLByte.lineFeed, TOMLByte.carriageReturn: shown = "(a backslash at the end of a line)"
            default: shown = "(a backslash followed by \(describeNext()))"
            }
            // Line-ending backslashes reach here only outside multi-line basic strings.
            throw error(
                "invalid escape sequence \(shown); valid escapes are \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX",
                at: escapePosition)
        }
        offset += 1
    }

    mutating func parseUnicodeEscape(
        digits: Int, into buffer: inout [UInt8], at escapePosition: TOMLSourcePosition
    ) throws(TOMLError) {
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard let digit = peek().flatMap(TOMLByte.hexDigitValue) else {
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
}
