import Testing
@testable import GarrisonHost

/// Array literals carry every telemetry batch to PostgreSQL: quoting must survive any text.
@Suite struct PGArrayTests {
    @Test func elementsAreQuotedAndEscaped() {
        #expect(PGArray.literal(["plain", #"a"b\c"#, "é ü"]) == #"{"plain","a\"b\\c","é ü"}"#)
        #expect(PGArray.literal(optional: ["x", nil]) == #"{"x",NULL}"#)
    }

    @Test func escapedElementsRoundTripThroughPostgreSQL() async throws {
        try await TestHost.with { host in
            let tricky = [#"a"b"#, #"back\slash"#, "{braces},comma", "NULL", ""]
            let row = try #require(
                try await host.server.storage.pool.query("SELECT array_to_json($1::text[])::text AS j", [PGArray.literal(tricky)]).first)
            #expect(row.string("j") == #"["a\"b","back\\slash","{braces},comma","NULL",""]"#)
        }
    }

    @Test func nulBytesAreDroppedFromAgentStrings() {
        #expect("a\u{0}b\u{0}".withoutNUL == "ab")
        #expect("plain".withoutNUL == "plain")
    }
}
