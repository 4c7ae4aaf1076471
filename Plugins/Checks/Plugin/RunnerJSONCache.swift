import Foundation
import Synchronization

/// Each check's checkrunner JSON, encoded once per row version instead of on every call:
/// building and writing ten checks' forty members was a tenth of a checkrunner GET. Only
/// for JSON that is the same for every agent that gets the check (no {{...}} variables;
/// see `Checks.runnerBytes`).
final class RunnerJSONCache: Sendable {
    private struct Entry {
        let version: String
        let bytes: Data
    }

    private let entries = Mutex<[Int: Entry]>([:])
    /// Beyond this many the cache starts over (a few hundred bytes each; script checks carry
    /// their code).
    let capacity: Int

    init(capacity: Int = 200_000) { self.capacity = capacity }

    func bytes(check id: Int, version: String) -> Data? {
        entries.withLock { entries in entries[id].flatMap { $0.version == version ? $0.bytes : nil } }
    }

    func store(check id: Int, version: String, bytes: Data) {
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[id] = Entry(version: version, bytes: bytes)
        }
    }
}
