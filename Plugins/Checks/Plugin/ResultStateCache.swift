import ChecksCore

/// The last known result state (CPU/memory samples, failure count, seq) of each agent and
/// check, so that a result can be evaluated without reading its row first. The cache is a
/// guess, never the truth: the write that stores a result names the seq it was evaluated
/// against (and the check's version), and stores nothing if either moved -- a reset, an
/// edit, a result through another host. That result is then evaluated again from a fresh
/// read. So a stale entry costs one retry, and no entry costs the read it saves.
///
/// Filled by the checkrunner GET (which reads every check's state of the agent anyway, just
/// before the agent runs them) and by each stored result.
final class ResultStateCache: Sendable {
    struct Key: Hashable, Sendable {
        let agentID: String
        let checkID: Int
    }

    struct State: Sendable, Equatable {
        var samples: [Int]
        var counter: FailureCounter
        /// The stored row's seq; 0 when the agent has no result for the check yet.
        var seq: Int
    }

    /// About 150 bytes an entry: 200,000 (ten checks on each of 20,000 agents) is 30 MB.
    private let entries: BoundedCache<Key, State>

    init(capacity: Int = 200_000) { entries = BoundedCache(capacity: capacity) }

    /// What the cache holds for these keys (a snapshot).
    func lookup(_ keys: some Sequence<Key>) -> [Key: State] { entries.lookup(keys) }

    /// Keeps the newer of what is held and `offered` (by seq): a GET that read before a
    /// write finished must not put the older state back.
    func offer(_ offered: [Key: State]) { entries.store(offered) { held, new in held.seq <= new.seq } }

    func forget(_ keys: some Sequence<Key>) { entries.forget(keys) }
}

extension ResultStateCache.State {
    /// The state as a row read from the database gives it (no row: nothing yet).
    init(_ row: CheckWithState) {
        self.init(samples: row.r_samples ?? [], counter: row.counter, seq: row.r_seq ?? 0)
    }
}
