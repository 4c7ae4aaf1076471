import ChecksCore
import Synchronization

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

    private let entries = Mutex<[Key: State]>([:])
    /// Beyond this many the cache starts over rather than grow without bound (an entry is
    /// about 150 bytes: 200,000 is 30 MB, ten checks on each of 20,000 agents).
    let capacity: Int

    init(capacity: Int = 200_000) { self.capacity = capacity }

    /// What the cache holds for these keys (a snapshot).
    func lookup(_ keys: some Sequence<Key>) -> [Key: State] {
        entries.withLock { entries in
            var found: [Key: State] = [:]
            for key in keys { if let state = entries[key] { found[key] = state } }
            return found
        }
    }

    /// Keeps the newer of what is held and `offered` (by seq): a GET that read before a
    /// write finished must not put the older state back.
    func offer(_ offered: [Key: State]) {
        guard !offered.isEmpty else { return }
        entries.withLock { entries in
            if entries.count + offered.count > capacity { entries.removeAll(keepingCapacity: true) }
            for (key, state) in offered where (entries[key]?.seq ?? -1) <= state.seq { entries[key] = state }
        }
    }

    func forget(_ keys: some Sequence<Key>) {
        entries.withLock { entries in for key in keys { entries.removeValue(forKey: key) } }
    }
}

extension ResultStateCache.State {
    /// The state as a row read from the database gives it (no row: nothing yet).
    init(_ row: CheckWithState) {
        self.init(samples: row.r_samples ?? [], counter: row.counter, seq: row.r_seq ?? 0)
    }
}
