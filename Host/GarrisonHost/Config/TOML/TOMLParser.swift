// Garrison's own TOML 1.0 parser, for garrison.toml and plugins.d/*.toml.
//
// It exists because config errors must name the line to fix, and not only for syntax:
// `garrison check-config`, `serve` and the plugins.d loader reject an unknown key, a value
// of the wrong type or one out of range as `file:line: ...` (ConfigLoader, PluginFile), so
// the parsed tables keep the line of each key (`TOMLTable.line(of:)`). A parser that hands
// back values alone cannot give that line once parsing has succeeded.
//
// The parser walks the document's UTF-8 bytes once, tracking line and column so every
// error can point at the spot to fix. It builds a tree of `TOMLTableNode`s that remember
// how each table came to exist, because TOML's rules for reopening a table depend on that,
// and converts the finished tree to plain `TOMLTable` values at the end. The files:
// TOMLDocumentParser (cursor, lines, comments), +Tables (keys, headers), +Values, +Strings,
// TOMLScalarSyntax (number and date-time spelling), TOMLTableTree, TOMLError, TOMLByte.
//
// Input is never trusted: malformed documents produce a `TOMLError`, never a trap, and
// nesting is capped so hostile input cannot exhaust the stack.

public enum TOMLParser {
    /// How deep tables and arrays may nest. Parsing, JSON rendering and equality all
    /// recurse over the result, so the cap keeps them safe on hostile input.
    public static let maxNestingDepth = 100

    /// Parses a whole TOML document into its root table.
    public static func parse(_ text: String) throws(TOMLError) -> TOMLTable {
        var parser = TOMLDocumentParser(bytes: Array(text.utf8))
        return try parser.parseDocument()
    }
}
