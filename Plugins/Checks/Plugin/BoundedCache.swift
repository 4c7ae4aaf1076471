import Synchronization

/// A dictionary behind a lock that starts over rather than grow past `capacity`: the shape
/// of the plugin's caches, whose entries can always be read again from the database.
final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let entries = Mutex<[Key: Value]>([:])
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func value(_ key: Key) -> Value? { entries.withLock { $0[key] } }

    /// What the cache holds for these keys (a snapshot: later changes do not affect it).
    func lookup(_ keys: some Sequence<Key>) -> [Key: Value] {
        entries.withLock { entries in
            var found: [Key: Value] = [:]
            for key in keys { if let value = entries[key] { found[key] = value } }
            return found
        }
    }

    /// Stores each new value where there is none yet or `replaces(held, new)` says so.
    func store(_ new: [Key: Value], replaces: (Value, Value) -> Bool = { _, _ in true }) {
        guard !new.isEmpty else { return }
        entries.withLock { entries in
            if entries.count + new.count > capacity { entries.removeAll(keepingCapacity: true) }
            for (key, value) in new where entries[key].map({ replaces($0, value) }) ?? true { entries[key] = value }
        }
    }

    func forget(_ keys: some Sequence<Key>) {
        entries.withLock { entries in for key in keys { entries.removeValue(forKey: key) } }
    }
}
