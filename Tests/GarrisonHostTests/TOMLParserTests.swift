import Foundation
import Testing
@testable import GarrisonHost

@Suite("TOML parser")
struct TOMLParserTests {
    // MARK: Value types

    @Test func parsesStrings() throws {
        let table = try TOMLParser.parse(
            #"""
            basic = "tab\there \"quoted\" back\\slash"
            escapes = "\b\f\n\r\u00E9\U0001F600"
            literal = 'C:\Users\nobody'
            empty = ""
            unicode = "héllo"
            """#)
        #expect(table["basic"] == .string("tab\there \"quoted\" back\\slash"))
        #expect(table["escapes"] == .string("\u{08}\u{0C}\n\ré😀"))
        #expect(table["literal"] == .string(#"C:\Users\nobody"#))
        #expect(table["empty"] == .string(""))
        #expect(table["unicode"]?.stringValue == "héllo")
    }

    @Test func parsesIntegers() throws {
        let table = try TOMLParser.parse(
            """
            plain = 42
            positive = +17
            negative = -17
            zero = 0
            grouped = 1_000_000
            hex = 0xDEAD_beef
            octal = 0o755
            binary = 0b1101
            max = 9223372036854775807
            min = -9223372036854775808
            """)
        #expect(table["plain"] == .integer(42))
        #expect(table["positive"] == .integer(17))
        #expect(table["negative"] == .integer(-17))
        #expect(table["zero"] == .integer(0))
        #expect(table["grouped"] == .integer(1_000_000))
        #expect(table["hex"] == .integer(0xDEAD_BEEF))
        #expect(table["octal"] == .integer(0o755))
        #expect(table["binary"] == .integer(0b1101))
        #expect(table["max"]?.integerValue == Int64.max)
        #expect(table["min"]?.integerValue == Int64.min)
    }

    @Test func parsesFloats() throws {
        let table = try TOMLParser.parse(
            """
            pi = 3.14159
            negative = -0.01
            exponent = 5e+22
            both = 6.626e-34
            grouped = 9_224_617.445_991
            capital = 1E3
            inf = inf
            negativeInf = -inf
            notANumber = nan
            negativeZero = -0.0
            """)
        #expect(table["pi"] == .float(3.14159))
        #expect(table["negative"] == .float(-0.01))
        #expect(table["exponent"] == .float(5e22))
        #expect(table["both"] == .float(6.626e-34))
        #expect(table["grouped"] == .float(9_224_617.445_991))
        #expect(table["capital"] == .float(1000))
        #expect(table["inf"] == .float(.infinity))
        #expect(table["negativeInf"] == .float(-.infinity))
        #expect(table["notANumber"]?.doubleValue?.isNaN == true)
        let negativeZero = try #require(table["negativeZero"]?.doubleValue)
        #expect(negativeZero == 0 && negativeZero.sign == .minus)
    }

    @Test func parsesBooleans() throws {
        let table = try TOMLParser.parse("yes = true\nno = false")
        #expect(table["yes"] == .bool(true))
        #expect(table["no"]?.boolValue == false)
    }

    @Test func keepsDateTimesAsText() throws {
        let table = try TOMLParser.parse(
            """
            offset = 1979-05-27T07:32:00Z
            offsetFraction = 1979-05-27T00:32:00.999999-07:00
            spaceSeparated = 1979-05-27 07:32:00+01:00
            local = 1979-05-27T07:32:00
            date = 2024-02-29
            time = 07:32:00.5
            """)
        #expect(table["offset"] == .datetime("1979-05-27T07:32:00Z"))
        #expect(table["offsetFraction"] == .datetime("1979-05-27T00:32:00.999999-07:00"))
        #expect(table["spaceSeparated"] == .datetime("1979-05-27 07:32:00+01:00"))
        #expect(table["local"] == .datetime("1979-05-27T07:32:00"))
        #expect(table["date"]?.datetimeText == "2024-02-29")
        #expect(table["time"] == .datetime("07:32:00.5"))
    }

    @Test func parsesArrays() throws {
        let table = try TOMLParser.parse(
            """
            empty = []
            numbers = [1, 2, 3]
            mixed = ["a", 1, 2.5, true, [1, 2], { x = 1 }]
            multiline = [
                "one",   # first
                # a comment on its own line
                "two",
            ]
            """)
        #expect(table["empty"] == .array([]))
        #expect(table["numbers"] == .array([.integer(1), .integer(2), .integer(3)]))
        var point = TOMLTable()
        point.set(.integer(1), forKey: "x")
        #expect(
            table["mixed"]
                == .array([
                    .string("a"), .integer(1), .float(2.5), .bool(true),
                    .array([.integer(1), .integer(2)]), .table(point),
                ]))
        #expect(table["multiline"]?.arrayValue == [.string("one"), .string("two")])
    }

    // MARK: Tables

    @Test func parsesTablesAndDottedKeys() throws {
        let table = try TOMLParser.parse(
            """
            title = "Garrison"
            site."google.com" = true

            [server]
            host = "0.0.0.0"
            tls.cert = "/etc/cert.pem"
            tls.key = "/etc/key.pem"

            [server.limits]
            connections = 100

            [ 'quoted' . "dotted header" ]
            ok = true
            """)
        #expect(table.keys == ["title", "site", "server", "quoted"])
        #expect(table.value(at: ["site", "google.com"]) == .bool(true))
        #expect(table.value(at: ["server", "host"]) == .string("0.0.0.0"))
        #expect(table["server"]?["tls"]?["cert"] == .string("/etc/cert.pem"))
        #expect(table.value(at: ["server", "tls", "key"])?.stringValue == "/etc/key.pem")
        #expect(table.value(at: ["server", "limits", "connections"]) == .integer(100))
        #expect(table.value(at: ["quoted", "dotted header", "ok"]) == .bool(true))
        #expect(table["server"]?.tableValue?.keys == ["host", "tls", "limits"])
    }

    @Test func allowsDefiningASuperTableAfterItsChildren() throws {
        let table = try TOMLParser.parse(
            """
            [a.b.c]
            answer = 42

            [a]
            better = 43
            """)
        #expect(table.value(at: ["a", "b", "c", "answer"]) == .integer(42))
        #expect(table.value(at: ["a", "better"]) == .integer(43))
        // The implicit table takes the line of the header that finally defines it.
        #expect(table.line(of: "a") == 4)
    }

    @Test func recordsDefinitionLines() throws {
        let table = try TOMLParser.parse(
            """
            # comment
            name = "x"

            [server]
            port = 8080
            tls.enabled = true

            [[plugins]]
            id = "one"
            [[plugins]]
            id = "two"
            """)
        #expect(table.line(of: "name") == 2)
        #expect(table.line(of: "server") == 4)
        #expect(table.line(of: "plugins") == 8)
        #expect(table.line(of: "missing") == nil)
        let server = try #require(table["server"]?.tableValue)
        #expect(server.line(of: "port") == 5)
        #expect(server.line(of: "tls") == 6)
        let plugins = try #require(table["plugins"]?.arrayValue)
        #expect(plugins[1].tableValue?.line(of: "id") == 11)
    }

    @Test func parsesArraysOfTables() throws {
        let table = try TOMLParser.parse(
            """
            [[plugins]]
            id = "inventory"

              [plugins.settings]
              interval = 30

              [[plugins.hooks]]
              event = "start"

              [[plugins.hooks]]
              event = "stop"

            [[plugins]]
            id = "alerts"
            """)
        let plugins = try #require(table["plugins"]?.arrayValue)
        #expect(plugins.count == 2)
        #expect(plugins[0]["id"] == .string("inventory"))
        #expect(plugins[0]["settings"]?["interval"] == .integer(30))
        #expect(plugins[0]["hooks"]?.arrayValue?.compactMap { $0["event"]?.stringValue } == ["start", "stop"])
        #expect(plugins[1]["id"] == .string("alerts"))
        #expect(plugins[1]["hooks"] == nil)
    }

    @Test func parsesInlineTables() throws {
        let table = try TOMLParser.parse(
            """
            empty = {}
            point = { x = 1, y = -2 }
            nested = { name = { first = "Tom", last = "Preston-Werner" }, tags = ["a", "b"] }
            dotted = { a.b = 1, a.c = 2 }
            """)
        #expect(table["empty"] == .table(TOMLTable()))
        #expect(table["point"]?["x"] == .integer(1))
        #expect(table["point"]?["y"] == .integer(-2))
        #expect(table["nested"]?["name"]?["last"] == .string("Preston-Werner"))
        #expect(table["nested"]?["tags"]?.arrayValue?.count == 2)
        #expect(table["dotted"]?["a"]?.tableValue?.keys == ["b", "c"])
    }

    // MARK: Multi-line strings

    @Test func parsesMultilineStrings() throws {
        let table = try TOMLParser.parse(
            #"""
            trimmed = """
            Roses are red
            Violets are blue"""
            joined = """\
                The quick brown \
                fox."""
            quotes = """Here are two quotes: "". And one at the end: """"
            escaped = """tab\tand \"""triple\""" """
            literal = '''
            C:\raw\path
              keeps 'indent' '''
            literalQuotes = ''''That's'''''
            """#)
        #expect(table["trimmed"] == .string("Roses are red\nViolets are blue"))
        #expect(table["joined"] == .string("The quick brown fox."))
        #expect(table["quotes"] == .string(#"Here are two quotes: "". And one at the end: ""#))
        #expect(table["escaped"] == .string("tab\tand \"\"\"triple\"\"\" "))
        #expect(table["literal"] == .string("C:\\raw\\path\n  keeps 'indent' "))
        #expect(table["literalQuotes"] == .string("'That's''"))
    }

    @Test func normalizesCRLFAndSkipsByteOrderMark() throws {
        let table = try TOMLParser.parse("\u{FEFF}a = 1\r\ntext = \"\"\"\r\none\r\ntwo\"\"\"\r\n[t]\r\nb = 2\r\n")
        #expect(table["a"] == .integer(1))
        #expect(table["text"] == .string("one\ntwo"))
        #expect(table.value(at: ["t", "b"]) == .integer(2))
        #expect(table.line(of: "t") == 5)
    }

    @Test func acceptsEmptyAndCommentOnlyDocuments() throws {
        #expect(try TOMLParser.parse("").isEmpty)
        #expect(try TOMLParser.parse("# just a comment\n\n   \t\n# another").isEmpty)
    }

    // MARK: Model

    @Test func tableEqualityIgnoresOrderAndLines() throws {
        let first = try TOMLParser.parse("a = 1\nb = 2")
        let second = try TOMLParser.parse("\n\nb = 2\na = 1")
        #expect(first == second)
        #expect(first != (try TOMLParser.parse("a = 1\nb = 3")))
    }

    @Test func convenienceAccessorsReturnNilForOtherTypes() {
        let value = TOMLValue.string("x")
        #expect(value.integerValue == nil)
        #expect(value.boolValue == nil)
        #expect(value.tableValue == nil)
        #expect(value["key"] == nil)
        #expect(TOMLValue.integer(5).doubleValue == 5.0)
        #expect(TOMLValue.integer(5).typeName == "integer")
    }

    // MARK: JSON rendering

    @Test func rendersNestedTableAsJSON() throws {
        let table = try TOMLParser.parse(
            #"""
            name = "Garrison \"RMM\"\n\u0001"
            port = 8080
            ratio = 0.5
            enabled = true
            started = 1979-05-27T07:32:00Z
            limit = inf

            [plugin.settings]
            tags = ["a", 1, 2.5, false]
            nested = { deep = { list = [[1], []] } }

            [[plugin.hooks]]
            event = "start"
            """#)
        let json = table.jsonString()
        #expect(json.hasPrefix(#"{"name":"Garrison \"RMM\"\n\u0001","port":8080,"ratio":0.5,"#))

        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8))
        let root = try #require(parsed as? [String: Any])
        #expect(root["name"] as? String == "Garrison \"RMM\"\n\u{1}")
        #expect(root["port"] as? Int == 8080)
        #expect(root["ratio"] as? Double == 0.5)
        #expect(root["enabled"] as? Bool == true)
        #expect(root["started"] as? String == "1979-05-27T07:32:00Z")
        #expect(root["limit"] is NSNull)

        let plugin = try #require(root["plugin"] as? [String: Any])
        let settings = try #require(plugin["settings"] as? [String: Any])
        let tags = try #require(settings["tags"] as? [Any])
        #expect(tags.count == 4)
        #expect(tags[0] as? String == "a")
        #expect(tags[1] as? Int == 1)
        #expect(tags[2] as? Double == 2.5)
        #expect(tags[3] as? Bool == false)
        let nested = try #require(settings["nested"] as? [String: Any])
        let deep = try #require(nested["deep"] as? [String: Any])
        let list = try #require(deep["list"] as? [[Any]])
        #expect(list.count == 2 && list[0].count == 1 && list[1].isEmpty)
        let hooks = try #require(plugin["hooks"] as? [[String: Any]])
        #expect(hooks.first?["event"] as? String == "start")
    }

    @Test func rendersSingleValuesAsJSON() {
        #expect(TOMLValue.integer(-3).jsonString() == "-3")
        #expect(TOMLValue.float(1.0).jsonString() == "1.0")
        #expect(TOMLValue.float(.nan).jsonString() == "null")
        #expect(TOMLValue.datetime("07:32:00").jsonString() == #""07:32:00""#)
        #expect(TOMLValue.array([.bool(true), .string("\t")]).jsonString() == #"[true,"\t"]"#)
        #expect(TOMLTable().jsonString() == "{}")
    }

    // MARK: Errors

    @Test func errorDescriptionHasLineAndColumn() {
        do {
            _ = try TOMLParser.parse("a = 1\nport 8080")
            Issue.record("expected a parse error")
        } catch {
            #expect(error.line == 2)
            #expect(error.column == 6)
            #expect(error.description == #"line 2, column 6: expected '=' after key "port", found "8080""#)
        }
    }

    struct MalformedCase: Sendable, CustomTestStringConvertible {
        let name: String
        let toml: String
        let line: Int
        let message: String

        var testDescription: String { name }
    }

    @Test(arguments: [
        MalformedCase(
            name: "duplicate key", toml: "a = 1\nb = 2\na = 3", line: 3,
            message: #"duplicate key "a" (first defined on line 1)"#),
        MalformedCase(
            name: "duplicate key in table", toml: "[server]\nport = 1\n\nport = 2", line: 4,
            message: #"duplicate key "port" (first defined on line 2)"#),
        MalformedCase(
            name: "duplicate key in inline table", toml: "p = { x = 1, x = 2 }", line: 1,
            message: #"duplicate key "x""#),
        MalformedCase(
            name: "redefined table", toml: "[server]\nport = 1\n\n[server]", line: 4,
            message: "duplicate table [server] (first defined on line 1)"),
        MalformedCase(
            name: "header over dotted-key table", toml: "[fruit]\napple.color = \"red\"\n[fruit.apple]", line: 3,
            message: "already defined by dotted keys on line 2"),
        MalformedCase(
            name: "value redefined by dotted key", toml: "name = \"x\"\nname.first = \"y\"", line: 2,
            message: #""name" is already a string (defined on line 1)"#),
        MalformedCase(
            name: "dotted key into header table", toml: "[a.b]\nx = 1\n[a]\nb.y = 2", line: 4,
            message: "already defined by a header on line 1"),
        MalformedCase(
            name: "extending inline table", toml: "point = { x = 1 }\n[point.z]", line: 2,
            message: "already an inline table"),
        MalformedCase(
            name: "static array as array of tables", toml: "fruit = []\n[[fruit]]", line: 2,
            message: #""fruit" is already an array"#),
        MalformedCase(
            name: "table as array of tables", toml: "[a]\n[[a]]", line: 2,
            message: #""a" is already a table"#),
        MalformedCase(
            name: "array of tables as table", toml: "[[a]]\n[a]", line: 2,
            message: "already an array of tables"),
        MalformedCase(
            name: "unterminated basic string", toml: "ok = 1\nname = \"abc\nnext = 2", line: 2,
            message: "unterminated string"),
        MalformedCase(
            name: "unterminated literal string", toml: "path = 'C:\\dir", line: 1,
            message: "unterminated string"),
        MalformedCase(
            name: "unterminated multi-line string", toml: "a = 1\ntext = \"\"\"\none\ntwo", line: 2,
            message: "unterminated multi-line string"),
        MalformedCase(
            name: "invalid escape", toml: "a = 1\nb = \"bad \\q escape\"", line: 2,
            message: #"invalid escape sequence "\q""#),
        MalformedCase(
            name: "invalid escape in multi-line string", toml: "b = \"\"\"\nfine\nbad \\x41\n\"\"\"", line: 3,
            message: #"invalid escape sequence "\x""#),
        MalformedCase(
            name: "surrogate escape", toml: "s = \"\\uD800\"", line: 1,
            message: "not a Unicode scalar value"),
        MalformedCase(
            name: "short unicode escape", toml: "s = \"\\u12\"", line: 1,
            message: "4 hexadecimal digits"),
        MalformedCase(
            name: "leading zeros", toml: "port = 0080", line: 1,
            message: "leading zeros are not allowed"),
        MalformedCase(
            name: "double underscore", toml: "\nn = 1__000", line: 2,
            message: "underscores must be between digits"),
        MalformedCase(
            name: "trailing underscore", toml: "n = 1_", line: 1,
            message: "underscores must be between digits"),
        MalformedCase(
            name: "integer overflow", toml: "n = 9223372036854775808", line: 1,
            message: "does not fit in 64 bits"),
        MalformedCase(
            name: "bad hex digit", toml: "n = 0xZZ", line: 1,
            message: "is not a valid digit"),
        MalformedCase(
            name: "signed hex", toml: "n = -0x1", line: 1,
            message: "a sign is not allowed"),
        MalformedCase(
            name: "float without fraction digits", toml: "f = 1.", line: 1,
            message: "expected digits after the decimal point"),
        MalformedCase(
            name: "float without exponent digits", toml: "f = 1e", line: 1,
            message: "expected digits in the exponent"),
        MalformedCase(
            name: "missing equals", toml: "\n\nport 8080", line: 3,
            message: #"expected '=' after key "port""#),
        MalformedCase(
            name: "missing equals after dotted key", toml: "server.port", line: 1,
            message: #"expected '=' after key "server.port""#),
        MalformedCase(
            name: "missing value", toml: "a = 1\nport =\n", line: 2,
            message: "expected a value"),
        MalformedCase(
            name: "junk after value", toml: "port = 8080 9090", line: 1,
            message: #"expected a newline after the value of "port""#),
        MalformedCase(
            name: "junk after string", toml: "a = 1\nname = \"a\" \"b\"", line: 2,
            message: "expected a newline after the value"),
        MalformedCase(
            name: "junk after header", toml: "[server] extra", line: 1,
            message: "after table header [server]"),
        MalformedCase(
            name: "unclosed header", toml: "[server\nport = 1", line: 1,
            message: "expected ']' to close table header"),
        MalformedCase(
            name: "missing array comma", toml: "a = [1 2]", line: 1,
            message: "expected ',' or ']'"),
        MalformedCase(
            name: "unterminated array", toml: "x = 1\na = [\n1,\n2", line: 2,
            message: "unterminated array"),
        MalformedCase(
            name: "inline table trailing comma", toml: "a = { x = 1, }", line: 1,
            message: "trailing comma"),
        MalformedCase(
            name: "inline table across lines", toml: "a = { x = 1\n}", line: 1,
            message: "expected ',' or '}'"),
        MalformedCase(
            name: "impossible date", toml: "d = 2023-02-30", line: 1,
            message: "invalid date-time"),
        MalformedCase(
            name: "hour out of range", toml: "t = 24:00:00", line: 1,
            message: "invalid date-time"),
        MalformedCase(
            name: "misspelled boolean", toml: "flag = tru", line: 1,
            message: "expected a value"),
        MalformedCase(
            name: "bare carriage return", toml: "a = 1\rb = 2", line: 1,
            message: "carriage return"),
        MalformedCase(
            name: "raw control character", toml: "a = \"\u{1}\"", line: 1,
            message: "must be escaped"),
        MalformedCase(
            name: "missing key", toml: "= 1", line: 1,
            message: "expected a key"),
        MalformedCase(
            name: "nesting too deep", toml: "a = " + String(repeating: "[", count: 500), line: 1,
            message: "nested more than 100 levels"),
    ])
    func rejectsMalformedInput(_ testCase: MalformedCase) {
        do {
            let table = try TOMLParser.parse(testCase.toml)
            Issue.record("expected an error, parsed \(table.jsonString())")
        } catch {
            #expect(error.line == testCase.line, "\(error)")
            #expect(error.message.contains(testCase.message), "\(error)")
        }
    }
}
