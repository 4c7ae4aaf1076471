import Foundation
import Testing

/// The frozen-header rule (PluginAPI/README.md, "Minor"): within major 1, every struct of
/// garrison_plugin.h only grows at its end and no constant changes value. Each released
/// minor's header is kept under Tests/Fixtures/abi-1.N/; the current header must extend it.
@Suite struct ABIHeaderTests {
    static let current = PluginFixtures.packageRoot.appendingPathComponent("PluginAPI/include/garrison_plugin.h")
    static let frozen = ["abi-1.0", "abi-1.1", "abi-1.2"].map {
        PluginFixtures.packageRoot.appendingPathComponent("Tests/Fixtures/\($0)/garrison_plugin.h")
    }

    @Test(arguments: frozen) func everyStructOfAnOlderMinorIsAPrefixOfTheCurrentOne(old: URL) throws {
        let now = try Self.structs(String(contentsOf: Self.current, encoding: .utf8))
        let then = try Self.structs(String(contentsOf: old, encoding: .utf8))
        #expect(then.count >= 5, "the parser found the structs of \(old.path)")
        for (name, members) in then {
            let grown = try #require(now[name], "\(name) was removed")
            #expect(Array(grown.prefix(members.count)) == members, "\(name): members changed, moved or were removed")
        }
    }

    @Test(arguments: frozen) func noConstantOfAnOlderMinorChangesValue(old: URL) throws {
        let now = try Self.defines(String(contentsOf: Self.current, encoding: .utf8))
        let then = try Self.defines(String(contentsOf: old, encoding: .utf8))
        for (name, value) in then where name != "GARRISON_ABI_MINOR" && name != "GARRISON_PLUGIN_H" {
            #expect(now[name] == value, "\(name) was \(value), is \(now[name] ?? "gone")")
        }
        #expect(Int(now["GARRISON_ABI_MINOR"] ?? "") ?? 0 > Int(then["GARRISON_ABI_MINOR"] ?? "") ?? 99)
    }

    /// `typedef struct name { members } name;` → the member declarations, comments and
    /// spacing removed.
    static func structs(_ text: String) throws -> [String: [String]] {
        let code = try withoutComments(text)
        let pattern = try NSRegularExpression(pattern: #"typedef struct (\w+) \{(.*?)\} \1;"#, options: [.dotMatchesLineSeparators])
        var result: [String: [String]] = [:]
        for match in pattern.matches(in: code, range: NSRange(code.startIndex..., in: code)) {
            let name = String(code[Range(match.range(at: 1), in: code)!])
            let body = String(code[Range(match.range(at: 2), in: code)!])
            result[name] = body.split(separator: ";").map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
                .filter { !$0.isEmpty }
        }
        return result
    }

    static func defines(_ text: String) throws -> [String: String] {
        let code = try withoutComments(text)
        var result: [String: String] = [:]
        for line in code.split(separator: "\n") where line.hasPrefix("#define ") {
            let parts = line.split(whereSeparator: \.isWhitespace)
            if parts.count >= 3, !parts[1].contains("(") { result[String(parts[1])] = parts[2...].joined(separator: " ") }
        }
        return result
    }

    static func withoutComments(_ text: String) throws -> String {
        let block = try NSRegularExpression(pattern: #"/\*.*?\*/"#, options: [.dotMatchesLineSeparators])
        return block.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: " ")
    }
}
