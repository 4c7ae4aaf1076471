// The tables of a document while it is being read: each remembers how it came to exist,
// because TOML's rules for adding to a table again depend on that.

/// A table being built. `origin` decides whether a later header or dotted key may add
/// to it; see `TOMLDocumentParser.defineTable` and `TOMLDocumentParser.resolveDottedKey`.
final class TOMLTableNode {
    enum Origin {
        /// Created as a parent by a header (`a` for `[a.b]`); may still be defined once.
        case implicit
        /// Defined by a `[header]`; the root counts as one.
        case header
        /// Created by a dotted key such as `a.b = 1`.
        case dotted
        /// An element of an array of tables, `[[a]]`.
        case arrayElement
        /// The root of an inline table `{ ... }`.
        case inline
    }

    enum Slot {
        /// A finished value. Inline tables and static arrays live here, which makes them
        /// closed to headers and dotted keys without extra bookkeeping.
        case value(TOMLValue)
        case table(TOMLTableNode)
        case tableArray(TOMLTableArrayNode)
    }

    struct Entry {
        let slot: Slot
        var line: Int
    }

    var origin: Origin
    let depth: Int
    private var keys: [String] = []
    private var entries: [String: Entry] = [:]

    init(origin: Origin, depth: Int) {
        self.origin = origin
        self.depth = depth
    }

    func entry(for key: String) -> Entry? { entries[key] }

    func add(_ slot: Slot, for key: String, line: Int) {
        if entries[key] == nil { keys.append(key) }
        entries[key] = Entry(slot: slot, line: line)
    }

    /// An implicit table's line moves to the header that finally defines it, so later
    /// "first defined on line N" messages name the header the user wrote.
    func setLine(_ line: Int, for key: String) {
        entries[key]?.line = line
    }

    func snapshot() -> TOMLTable {
        var table = TOMLTable()
        for key in keys {
            guard let entry = entries[key] else { continue }
            let value: TOMLValue
            switch entry.slot {
            case .value(let finished): value = finished
            case .table(let node): value = .table(node.snapshot())
            case .tableArray(let array): value = .array(array.elements.map { .table($0.snapshot()) })
            }
            table.set(value, forKey: key, line: entry.line)
        }
        return table
    }
}

/// The growing list behind `[[name]]`; a class so appending goes through the parent's entry.
final class TOMLTableArrayNode {
    private(set) var elements: [TOMLTableNode]

    init(first: TOMLTableNode) { elements = [first] }

    var last: TOMLTableNode? { elements.last }

    func append(_ element: TOMLTableNode) { elements.append(element) }
}
