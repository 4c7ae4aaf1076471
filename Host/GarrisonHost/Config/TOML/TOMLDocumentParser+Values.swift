// Values: booleans, numbers and date-times (checked by TOMLScalarSyntax), arrays and
// inline tables. Strings are in TOMLDocumentParser+Strings.swift.

extension TOMLDocumentParser {
    // MARK: Values

    /// Parses one value; `depth` is its nesting level, for the depth cap.
    mutating func parseValue(depth: Int) throws(TOMLError) -> TOMLValue {
        guard let byte = peek() else { throw error("expected a value, found end of input") }
        switch byte {
        case TOMLByte.quote:
            return .string(hasPrefix("\"\"\"") ? try parseMultilineBasicString() : try parseBasicString())
        case TOMLByte.apostrophe:
            return .string(hasPrefix("'''") ? try parseMultilineLiteralString() : try parseLiteralString())
        case TOMLByte.leftBracket:
            return try parseArray(depth: depth)
        case TOMLByte.leftBrace:
            return try parseInlineTable(depth: depth)
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            return try parseBool()
        case TOMLByte.plus, TOMLByte.minus, 0x30...0x39:
            return try parseNumberOrDateTime()
        case UInt8(ascii: "i") where hasPrefix("inf"), UInt8(ascii: "n") where hasPrefix("nan"):
            return try parseNumberOrDateTime()
        default:
            throw error("expected a value, found \(describeNext())")
        }
    }

    mutating func parseBool() throws(TOMLError) -> TOMLValue {
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
        if let next = peek(), TOMLByte.isBareKeyCharacter(next) {
            offset = start.offset
            throw error("expected a value, found \(describeNext())", at: start)
        }
        return .bool(value)
    }

    // MARK: Numbers and date-times

    /// Numbers and date-times share a first character, so scan the whole token first and
    /// decide by its shape.
    mutating func parseNumberOrDateTime() throws(TOMLError) -> TOMLValue {
        let start = position
        scanNumberToken()
        // A space may separate date and time: `1979-05-27 07:32:00`.
        if offset - start.offset == 10, TOMLDateTimeSyntax.isDate(bytes[start.offset..<offset]),
            peek() == TOMLByte.space, peek(1).map(TOMLByte.isDecimalDigit) == true, peek(2).map(TOMLByte.isDecimalDigit) == true,
            peek(3) == TOMLByte.colon
        {
            offset += 1
            scanNumberToken()
        }
        let token = Array(bytes[start.offset..<offset])
        if TOMLDateTimeSyntax.looksLikeDateTime(token) {
            guard TOMLDateTimeSyntax.isValid(token) else {
                throw error("invalid date-time \"\(tomlText(token))\"", at: start)
            }
            return .datetime(tomlText(token))
        }
        do {
            return try TOMLNumberSyntax.parse(token)
        } catch {
            throw self.error(error.message, at: start)
        }
    }

    mutating func scanNumberToken() {
        while let byte = peek(),
            TOMLByte.isASCIILetter(byte) || TOMLByte.isDecimalDigit(byte) || byte == TOMLByte.underscore || byte == TOMLByte.plus
                || byte == TOMLByte.minus || byte == TOMLByte.dot || byte == TOMLByte.colon
        {
            offset += 1
        }
    }

    // MARK: Arrays and inline tables

    mutating func parseArray(depth: Int) throws(TOMLError) -> TOMLValue {
        let start = position
        try checkDepth(depth, at: start)
        offset += 1
        var elements: [TOMLValue] = []
        while true {
            try skipArrayTrivia()
            if peek() == TOMLByte.rightBracket {
                offset += 1
                return .array(elements)
            }
            if peek() == nil { throw error("unterminated array: expected ']'", at: start) }
            elements.append(try parseValue(depth: depth + 1))
            try skipArrayTrivia()
            switch peek() {
            case .some(TOMLByte.comma):
                offset += 1
            case .some(TOMLByte.rightBracket):
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
    mutating func parseInlineTable(depth: Int) throws(TOMLError) -> TOMLValue {
        let start = position
        let table = try makeTable(origin: .inline, depth: depth, at: start)
        offset += 1
        skipWhitespace()
        if peek() == TOMLByte.rightBrace {
            offset += 1
            return .table(table.snapshot())
        }
        while true {
            skipWhitespace()
            _ = try parseKeyValue(into: table)
            skipWhitespace()
            switch peek() {
            case .some(TOMLByte.comma):
                offset += 1
                skipWhitespace()
                if peek() == TOMLByte.rightBrace { throw error("a trailing comma is not allowed in an inline table") }
            case .some(TOMLByte.rightBrace):
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
