import Foundation
import Testing
@testable import PluginKit
import JSONText

/// The byte reader against JSONDecoder (the reference it replaced) on valid text, and its
/// errors on invalid text: what is wrong and at which byte.
@Suite("JSON reader")
struct JSONReaderTests {
    @Test(arguments: [
        "null", "true", "false", "0", "-0", "-1", "42", "2.5", "-0.125", "1e-5", "1E+3", "1.5e20", "123456789012345", "1234567890123456789",
        "9007199254740993", "0.1", "3.141592653589793", "\"\"", "\"plain\"", #""q \" b \\ s \/ t \t n \n r \r \b \f""#,
        #""\u0041\u00e9\u20ac""#,
        #""\ud83d\ude00 and 😀""#, "\"ü € 😀\"", "[]", "{}", " [ 1 , \"two\" , null , [ true ] ] ",
        #"{"b":1,"a":{"z":"y","é":2,"A":3},"":"e"}"#,
        "\n\t{\"nested\": [[[[{\"deep\": [false]}]]]]}\r\n", #"{"kind":"agent","agent_id":"abc"}"#,
    ])
    func readsWhatJSONDecoderReads(_ text: String) throws {
        let reference = try JSONCoding.decoder.decode(JSON.self, from: Data(text.utf8))
        #expect(try JSONReader.parse(Data(text.utf8), as: JSON.self) == reference)
        #expect(try JSON(parsing: Data(text.utf8)) == reference)
    }

    @Test func aRepeatedKeyKeepsItsLastValue() throws {
        #expect(try JSON(parsing: Data(#"{"a":1,"a":2}"#.utf8)) == ["a": 2])
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        let text: [UInt8]
        let reason: String
        let offset: Int
        init(_ text: String, _ reason: String, at offset: Int) { self.init(Array(text.utf8), reason, at: offset) }
        init(_ text: [UInt8], _ reason: String, at offset: Int) {
            self.text = text
            self.reason = reason
            self.offset = offset
        }
        var testDescription: String { String(decoding: text, as: UTF8.self) }
    }

    static let bad: [Bad] = [
        Bad("", "unexpected end of text, expected a value", at: 0),
        Bad("   ", "unexpected end of text, expected a value", at: 3),
        Bad("{\"a\":1} x", "unexpected text after the JSON value", at: 8),
        Bad("[1,]", "unexpected character ']', expected a value", at: 3),
        Bad("[1 2]", "expected ',' or ']' in an array", at: 3),
        Bad("[1", "unterminated array", at: 2),
        Bad("{\"a\" 1}", "expected ':' after a member name", at: 5),
        Bad("{a:1}", "expected a member name in double quotes", at: 1),
        Bad("{\"a\":1,}", "expected a member name in double quotes", at: 7),
        Bad("{\"a\":1", "unterminated object", at: 6),
        Bad("\"abc", "unterminated string", at: 0),
        Bad("\"a\tb\"", "control character in a string (escape it)", at: 2),
        Bad(#""\x""#, "invalid escape '\\x'", at: 1),
        Bad(#""\u12""#, "expected four hex digits after \\u", at: 5),
        Bad(#""\ud83d""#, "lone surrogate in a \\u escape", at: 1),
        Bad(#""\ude00""#, "lone surrogate in a \\u escape", at: 1),
        Bad("tru", "invalid literal, expected true", at: 0),
        Bad("nul1", "invalid literal, expected null", at: 0),
        Bad("01", "unexpected text after the JSON value", at: 1),
        Bad("-", "expected a digit", at: 1),
        Bad("1.", "expected a digit", at: 2),
        Bad("1e+", "expected a digit", at: 3),
        Bad("1e999", "number out of range", at: 0),
        Bad("+1", "unexpected character '+', expected a value", at: 0),
        Bad([0x22, 0xC3, 0x28, 0x22], "invalid UTF-8 in a string", at: 1),
        Bad(String(repeating: "[", count: 513) + String(repeating: "]", count: 513), "nested deeper than 512 levels", at: 512),
    ]

    @Test(arguments: bad)
    func invalidTextIsRefusedSayingWhatAndWhere(_ bad: Bad) {
        #expect(throws: JSONReadError(bad.reason, at: bad.offset)) { try JSONReader.parse(bad.text, as: JSON.self) }
    }

    @Test func fiveHundredAndTwelveLevelsAreFine() throws {
        let text = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(try JSON(parsing: Data(text.utf8)) != .null)
    }

    @Test func pluginKitsErrorNamesTheProblem() {
        let error = #expect(throws: PluginError.self) { try JSON(parsing: Data(#"{"a":1,"b"#.utf8)) }
        #expect(error?.message == "malformed JSON: unterminated string at byte 7")
    }
}
