import Foundation
import Testing
@testable import GarrisonHost

/// The byte writer behind JSON.serialized() must give JSONEncoder's text
/// (sortedKeys, withoutEscapingSlashes): responses, jsonb parameters and plugin answers
/// all go through it.
@Suite struct JSONValueWriterTests {
    static func encoderText(_ value: JSON) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test(
        arguments: [
            JSON.null, true, false, 0, -1, 42, 9_007_199_254_740_000, 0.1, -2.5, 1e-5, 1.5e20, 3.14159,
            "plain", "quote \" backslash \\ slash / tab \t newline \n return \r", "\u{08}\u{0C}\u{01}\u{1F}\u{7F}", "ü € 😀 日本",
            [], [:], [1, "two", nil, [true]], ["b": 1, "a": ["z": "y", "é": 2, "A": 3], "": "empty key", "aa": [:]],
        ] as [JSON])
    func matchesJSONEncoder(_ value: JSON) throws {
        #expect(value.databaseText == (try Self.encoderText(value)))
        // And it reads back as the same value.
        #expect(try JSON.parse(value.serialized()) == value)
    }

    @Test func nonFiniteNumbersBecomeNull() {
        #expect(JSON.array([.number(.nan), .number(.infinity)]).databaseText == "[null,null]")
    }
}
