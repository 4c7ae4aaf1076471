// Keys, `key = value` lines and `[table]` / `[[array of tables]]` headers: where each
// value goes in the table tree, and which redefinitions TOML forbids.

extension TOMLDocumentParser {
    // MARK: Keys

    /// `key`, `"quoted key"`, `'literal key'`, or any of these joined by dots.
    mutating func parseKey() throws(TOMLError) -> [String] {
        var path = [try parseSimpleKey()]
        while true {
            skipWhitespace()
            guard peek() == TOMLByte.dot else { return path }
            offset += 1
            skipWhitespace()
            path.append(try parseSimpleKey())
        }
    }

    mutating func parseSimpleKey() throws(TOMLError) -> String {
        switch peek() {
        case .some(TOMLByte.quote):
            guard !hasPrefix("\"\"\"") else { throw error("a multi-line string cannot be used as a key") }
            return try parseBasicString()
        case .some(TOMLByte.apostrophe):
            guard !hasPrefix("'''") else { throw error("a multi-line string cannot be used as a key") }
            return try parseLiteralString()
        default:
            let start = offset
            while let byte = peek(), TOMLByte.isBareKeyCharacter(byte) { offset += 1 }
            guard offset > start else { throw error("expected a key, found \(describeNext())") }
            return tomlText(bytes[start..<offset])
        }
    }

    // MARK: Key/value pairs

    /// Parses `key = value` into `table` (the current section or an inline table) and
    /// returns the key path for later messages.
    mutating func parseKeyValue(into table: TOMLTableNode) throws(TOMLError) -> [String] {
        let keyPosition = position
        let path = try parseKey()
        skipWhitespace()
        guard peek() == TOMLByte.equals else {
            throw error("expected '=' after key \(tomlQuoted(path)), found \(describeNext())")
        }
        offset += 1
        skipWhitespace()

        let (target, leaf) = try resolveDottedKey(path, in: table, at: keyPosition)
        if let existing = target.entry(for: leaf) {
            throw error("duplicate key \(tomlQuoted(path)) (first defined on line \(existing.line))", at: keyPosition)
        }
        let value = try parseValue(depth: target.depth + 1)
        target.add(.value(value), for: leaf, line: keyPosition.line)
        return path
    }

    /// Walks the dotted prefix of `path` from `table`, creating tables as needed, and
    /// returns the table that receives the last key. Dotted keys may only extend tables
    /// that dotted keys created: a table defined by a header, an array of tables, or a
    /// value cannot be reopened this way.
    func resolveDottedKey(
        _ path: [String], in table: TOMLTableNode, at keyPosition: TOMLSourcePosition
    ) throws(TOMLError) -> (TOMLTableNode, String) {
        guard let leaf = path.last else { throw error("expected a key", at: keyPosition) }
        var node = table
        for index in path.indices.dropLast() {
            let key = path[index]
            guard let entry = node.entry(for: key) else {
                node = try addTable(key, to: node, origin: .dotted, at: keyPosition)
                continue
            }
            var prefix: String { tomlQuoted(path[...index]) }
            switch entry.slot {
            case .table(let child):
                switch child.origin {
                case .dotted:
                    node = child
                case .implicit:
                    // Only named as a header's parent so far; this defines it.
                    child.origin = .dotted
                    node = child
                case .header, .arrayElement, .inline:
                    throw error(
                        "cannot add \(tomlQuoted(path)) with a dotted key: table \(prefix) was already defined by a header on line \(entry.line)",
                        at: keyPosition)
                }
            case .tableArray:
                throw error(
                    "cannot add \(tomlQuoted(path)) with a dotted key: \(prefix) is an array of tables (defined on line \(entry.line))",
                    at: keyPosition)
            case .value(let value):
                throw error(
                    "cannot define \(tomlQuoted(path)) with a dotted key: \(prefix) is already \(tomlDescribe(value)) (defined on line \(entry.line))",
                    at: keyPosition)
            }
        }
        return (node, leaf)
    }

    // MARK: Table headers

    /// Parses `[a.b]` or `[[a.b]]`, makes its table current, and returns it as written.
    mutating func parseTableHeader() throws(TOMLError) -> String {
        let headerPosition = position
        offset += 1
        let isArrayOfTables = peek() == TOMLByte.leftBracket
        if isArrayOfTables { offset += 1 }
        skipWhitespace()
        let path = try parseKey()
        skipWhitespace()
        let header = isArrayOfTables ? "[[\(tomlKeyPath(path))]]" : "[\(tomlKeyPath(path))]"
        guard peek() == TOMLByte.rightBracket, !isArrayOfTables || peek(1) == TOMLByte.rightBracket else {
            let closing = isArrayOfTables ? "]]" : "]"
            throw error("expected '\(closing)' to close table header \(header), found \(describeNext())")
        }
        offset += isArrayOfTables ? 2 : 1
        currentTable =
            isArrayOfTables
            ? try appendTableArrayElement(path, header: header, at: headerPosition)
            : try defineTable(path, header: header, at: headerPosition)
        return header
    }

    /// `[a.b]`: tables may be defined once; an implicit parent may be defined later, but
    /// a table made by dotted keys may not be reopened by a header.
    func defineTable(
        _ path: [String], header: String, at headerPosition: TOMLSourcePosition
    ) throws(TOMLError) -> TOMLTableNode {
        let parent = try headerParent(of: path, header: header, at: headerPosition)
        guard let leaf = path.last else { throw error("expected a key", at: headerPosition) }
        guard let entry = parent.entry(for: leaf) else {
            return try addTable(leaf, to: parent, origin: .header, at: headerPosition)
        }
        switch entry.slot {
        case .table(let table):
            switch table.origin {
            case .implicit:
                table.origin = .header
                parent.setLine(headerPosition.line, for: leaf)
                return table
            case .dotted:
                throw error(
                    "cannot define table \(header): it was already defined by dotted keys on line \(entry.line)",
                    at: headerPosition)
            case .header, .arrayElement, .inline:
                throw error("duplicate table \(header) (first defined on line \(entry.line))", at: headerPosition)
            }
        case .tableArray:
            throw error(
                "cannot define table \(header): \(tomlQuoted(path)) is already an array of tables (defined on line \(entry.line))",
                at: headerPosition)
        case .value(let value):
            throw error(
                "cannot define table \(header): \(tomlQuoted(path)) is already \(tomlDescribe(value)) (defined on line \(entry.line))",
                at: headerPosition)
        }
    }

    /// `[[a.b]]`: starts a new element of the array of tables `a.b`.
    func appendTableArrayElement(
        _ path: [String], header: String, at headerPosition: TOMLSourcePosition
    ) throws(TOMLError) -> TOMLTableNode {
        let parent = try headerParent(of: path, header: header, at: headerPosition)
        guard let leaf = path.last else { throw error("expected a key", at: headerPosition) }
        let element = try makeTable(origin: .arrayElement, depth: parent.depth + 1, at: headerPosition)
        guard let entry = parent.entry(for: leaf) else {
            parent.add(.tableArray(TOMLTableArrayNode(first: element)), for: leaf, line: headerPosition.line)
            return element
        }
        switch entry.slot {
        case .tableArray(let array):
            array.append(element)
            return element
        case .table:
            throw error(
                "cannot define array of tables \(header): \(tomlQuoted(path)) is already a table (defined on line \(entry.line))",
                at: headerPosition)
        case .value(let value):
            throw error(
                "cannot define array of tables \(header): \(tomlQuoted(path)) is already \(tomlDescribe(value)) (defined on line \(entry.line))",
                at: headerPosition)
        }
    }

    /// Walks a header's prefix from the root, creating implicit tables. Through an array
    /// of tables the path continues in its most recent element, as TOML specifies.
    func headerParent(
        of path: [String], header: String, at headerPosition: TOMLSourcePosition
    ) throws(TOMLError) -> TOMLTableNode {
        var node = root
        for index in path.indices.dropLast() {
            let key = path[index]
            guard let entry = node.entry(for: key) else {
                node = try addTable(key, to: node, origin: .implicit, at: headerPosition)
                continue
            }
            switch entry.slot {
            case .table(let child):
                node = child
            case .tableArray(let array):
                guard let last = array.last else {
                    throw error("cannot define \(header): array of tables \(tomlQuoted(path[...index])) is empty", at: headerPosition)
                }
                node = last
            case .value(let value):
                throw error(
                    "cannot define \(header): \(tomlQuoted(path[...index])) is already \(tomlDescribe(value)) (defined on line \(entry.line))",
                    at: headerPosition)
            }
        }
        return node
    }

    func addTable(
        _ key: String, to parent: TOMLTableNode, origin: TOMLTableNode.Origin, at position: TOMLSourcePosition
    ) throws(TOMLError) -> TOMLTableNode {
        let child = try makeTable(origin: origin, depth: parent.depth + 1, at: position)
        parent.add(.table(child), for: key, line: position.line)
        return child
    }

    func makeTable(
        origin: TOMLTableNode.Origin, depth: Int, at position: TOMLSourcePosition
    ) throws(TOMLError) -> TOMLTableNode {
        try checkDepth(depth, at: position)
        return TOMLTableNode(origin: origin, depth: depth)
    }

    func checkDepth(_ depth: Int, at position: TOMLSourcePosition) throws(TOMLError) {
        guard depth <= TOMLParser.maxNestingDepth else {
            throw error("tables and arrays are nested more than \(TOMLParser.maxNestingDepth) levels deep", at: position)
        }
    }
}
