import ChecksCore

/// Check definitions by id, each with the row version it was read at (PostgreSQL's xmin
/// and ctid, which change with every UPDATE, whoever makes it, on any host). The result
/// path tells the database which versions it holds and gets full rows back only for the
/// checks that changed: a 400-result batch reads a few columns per row instead of forty.
final class DefinitionCache: Sendable {
    struct Entry: Sendable {
        let version: String
        let check: CheckDefinition
    }

    /// The SQL expression for a row's version, on `checks` aliased `c`.
    static let versionSQL = "(c.xmin::text || ':' || c.ctid::text)"

    private let entries: BoundedCache<Int, Entry>
    /// The checks each agent's last checkrunner call returned: what to offer next time.
    private let agents: BoundedCache<String, [Int]>

    // 200,000 definitions of a few hundred bytes each (script checks carry their code) is
    // tens of megabytes: 20,000 agents with ten checks of their own.
    init(capacity: Int = 200_000) {
        entries = BoundedCache(capacity: capacity)
        agents = BoundedCache(capacity: capacity)
    }

    /// What the cache holds for these ids (a snapshot: later changes do not affect it).
    func lookup(_ ids: some Sequence<Int>) -> [Int: Entry] { entries.lookup(ids) }

    func checkIDs(of agentID: String) -> [Int] { agents.value(agentID) ?? [] }

    func remember(_ agentID: String, checkIDs: [Int]) { agents.store([agentID: checkIDs]) }

    /// The definition a VersionedCheck row stands for: its own (kept in `fresh`, to store
    /// after the batch), or the one `held` at the row's version; nil if neither.
    static func resolve(_ row: VersionedCheck, held: [Int: Entry], fresh: inout [Int: Entry]) -> CheckDefinition? {
        if let def = row.def {
            fresh[row.id] = Entry(version: row.version, check: def)
            return def
        }
        guard let entry = held[row.id] ?? fresh[row.id], entry.version == row.version else { return nil }
        return entry.check
    }

    func store(_ fresh: [Int: Entry]) { entries.store(fresh) }
}
