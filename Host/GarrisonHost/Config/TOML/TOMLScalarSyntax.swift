// The spelling rules of TOML numbers and date-times, checked on a scanned token.

// MARK: - Number syntax

/// Why a number token was rejected; `TOMLDocumentParser` adds the position.
struct TOMLSyntaxProblem: Error {
    let message: String
}

/// TOML integers (decimal, 0x, 0o, 0b, underscores between digits) and floats
/// (fraction, exponent, inf, nan). Validation is explicit because Swift's own numeric
/// parsers accept spellings TOML forbids, such as leading zeros or hex floats.
enum TOMLNumberSyntax {
    static func parse(_ token: [UInt8]) throws(TOMLSyntaxProblem) -> TOMLValue {
        let spelled = tomlText(token)
        func invalid(_ reason: String) -> TOMLSyntaxProblem {
            TOMLSyntaxProblem(message: "invalid number \"\(spelled)\": \(reason)")
        }

        let hasSign = token.first == TOMLByte.plus || token.first == TOMLByte.minus
        let isNegative = token.first == TOMLByte.minus
        let body = token[(hasSign ? 1 : 0)...]

        if body.elementsEqual("inf".utf8) { return .float(isNegative ? -.infinity : .infinity) }
        if body.elementsEqual("nan".utf8) { return .float(.nan) }

        if body.count >= 2, body.first == UInt8(ascii: "0"), let radix = radix(prefix: body[body.startIndex + 1]) {
            guard !hasSign else { throw invalid("a sign is not allowed on hexadecimal, octal or binary integers") }
            let digits = try cleanDigits(body.dropFirst(2), radix: radix, invalid: invalid)
            guard let value = Int64(tomlText(digits), radix: radix) else {
                throw TOMLSyntaxProblem(message: "integer \"\(spelled)\" does not fit in 64 bits")
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
        if index < body.endIndex, body[index] == TOMLByte.dot {
            isFloat = true
            let fraction = body[(index + 1)..<digitRunEnd(body, from: index + 1)]
            guard !fraction.isEmpty else { throw invalid("expected digits after the decimal point") }
            cleaned.append(TOMLByte.dot)
            cleaned += try cleanDigits(fraction, radix: 10, invalid: invalid)
            index = fraction.endIndex
        }
        if index < body.endIndex, body[index] | 0x20 == UInt8(ascii: "e") {
            isFloat = true
            cleaned.append(UInt8(ascii: "e"))
            index += 1
            if index < body.endIndex, body[index] == TOMLByte.plus || body[index] == TOMLByte.minus {
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
            throw invalid("unexpected \"\(tomlText(body[index...]))\"")
        }

        if isFloat {
            guard let value = Double(tomlText(cleaned)), value.isFinite else {
                throw TOMLSyntaxProblem(message: "float \"\(spelled)\" is out of range")
            }
            return .float(value)
        }
        guard let value = Int64(tomlText(cleaned)) else {
            throw TOMLSyntaxProblem(message: "integer \"\(spelled)\" does not fit in 64 bits")
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
        while end < bytes.endIndex, TOMLByte.isDecimalDigit(bytes[end]) || bytes[end] == TOMLByte.underscore { end += 1 }
        return end
    }

    /// The digits of `run` without underscores, which must each sit between two digits.
    private static func cleanDigits(
        _ run: ArraySlice<UInt8>, radix: Int, invalid: (String) -> TOMLSyntaxProblem
    ) throws(TOMLSyntaxProblem) -> [UInt8] {
        guard !run.isEmpty else { throw invalid("expected digits") }
        var digits: [UInt8] = []
        var previousWasDigit = false
        for byte in run {
            if byte == TOMLByte.underscore {
                guard previousWasDigit else { throw invalid("underscores must be between digits") }
                previousWasDigit = false
                continue
            }
            guard let value = TOMLByte.hexDigitValue(byte), Int(value) < radix else {
                throw invalid("'\(tomlText([byte]))' is not a valid digit")
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
enum TOMLDateTimeSyntax {
    /// `YYYY-` or `HH:` at the start means the token is meant as a date or time.
    static func looksLikeDateTime(_ token: [UInt8]) -> Bool {
        if token.count >= 5, token[0..<4].allSatisfy(TOMLByte.isDecimalDigit), token[4] == TOMLByte.minus { return true }
        return token.count >= 3 && token[0..<2].allSatisfy(TOMLByte.isDecimalDigit) && token[2] == TOMLByte.colon
    }

    /// Offset date-time, local date-time, local date, or local time.
    static func isValid(_ token: [UInt8]) -> Bool {
        let all = token[...]
        if token.count >= 3, token[2] == TOMLByte.colon {
            return timeEnd(all) == token.endIndex
        }
        guard token.count >= 10, isDate(all.prefix(10)) else { return false }
        if token.count == 10 { return true }
        guard [UInt8(ascii: "T"), UInt8(ascii: "t"), TOMLByte.space].contains(token[10]),
            let end = timeEnd(all.dropFirst(11))
        else { return false }
        let zone = all[end...]
        return zone.isEmpty || isOffset(zone)
    }

    static func isDate(_ text: ArraySlice<UInt8>) -> Bool {
        let start = text.startIndex
        guard text.count == 10, text[start + 4] == TOMLByte.minus, text[start + 7] == TOMLByte.minus,
            let year = number(text, start, 4), let month = number(text, start + 5, 2),
            let day = number(text, start + 8, 2), (1...12).contains(month)
        else { return false }
        return day >= 1 && day <= daysIn(month: month, year: year)
    }

    /// Index just past `HH:MM:SS[.fraction]` at the start of `text`, or nil.
    private static func timeEnd(_ text: ArraySlice<UInt8>) -> Int? {
        let start = text.startIndex
        guard text.count >= 8, text[start + 2] == TOMLByte.colon, text[start + 5] == TOMLByte.colon,
            let hour = number(text, start, 2), let minute = number(text, start + 3, 2),
            let second = number(text, start + 6, 2),
            hour < 24, minute < 60, second <= 60
        else { return nil }  // 60: leap second
        var end = start + 8
        if end < text.endIndex, text[end] == TOMLByte.dot {
            end += 1
            let fractionStart = end
            while end < text.endIndex, TOMLByte.isDecimalDigit(text[end]) { end += 1 }
            guard end > fractionStart else { return nil }
        }
        return end
    }

    /// `Z` or `±HH:MM`.
    private static func isOffset(_ text: ArraySlice<UInt8>) -> Bool {
        let start = text.startIndex
        if text.count == 1 { return text[start] | 0x20 == UInt8(ascii: "z") }
        guard text.count == 6, text[start] == TOMLByte.plus || text[start] == TOMLByte.minus, text[start + 3] == TOMLByte.colon,
            let hour = number(text, start + 1, 2), let minute = number(text, start + 4, 2)
        else { return false }
        return hour < 24 && minute < 60
    }

    private static func number(_ text: ArraySlice<UInt8>, _ start: Int, _ length: Int) -> Int? {
        guard start + length <= text.endIndex else { return nil }
        var value = 0
        for byte in text[start..<(start + length)] {
            guard TOMLByte.isDecimalDigit(byte) else { return nil }
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
