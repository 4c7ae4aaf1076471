// How the parser reports a problem: a position and a sentence, plus the helpers that
// render keys and values inside those sentences.

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

// MARK: - Message helpers

func tomlText(_ bytes: some Collection<UInt8>) -> String {
    String(decoding: bytes, as: UTF8.self)
}

/// Renders a key path for messages: `server.port`, or `"a.'b c'"` style for odd keys.
func tomlQuoted(_ path: some Collection<String>) -> String {
    "\"" + tomlKeyPath(path) + "\""
}

func tomlKeyPath(_ path: some Collection<String>) -> String {
    path.map { key in
        !key.isEmpty && key.utf8.allSatisfy(TOMLByte.isBareKeyCharacter) ? key : "'\(key)'"
    }.joined(separator: ".")
}

/// "a string", "an integer", ... A table stored as a value can only be an inline table.
func tomlDescribe(_ value: TOMLValue) -> String {
    switch value {
    case .table: return "an inline table"
    case .integer, .array: return "an \(value.typeName)"
    default: return "a \(value.typeName)"
    }
}
