import Foundation

/// Each check's checkrunner JSON, encoded once per row version instead of on every call:
/// building and writing ten checks' forty members was a tenth of a checkrunner GET. Only
/// for JSON that is the same for every agent that gets the check (no {{...}} variables;
/// see `Checks.runnerBytes`).
final class RunnerJSONCache: Sendable {
    private struct Entry {
        let version: String
        let bytes: Data
    }

    /// A few hundred bytes an entry (script checks carry their code).
    private let entries: BoundedCache<Int, Entry>

    init(capacity: Int = 200_000) { entries = BoundedCache(capacity: capacity) }

    func bytes(check id: Int, version: String) -> Data? {
        entries.value(id).flatMap { $0.version == version ? $0.bytes : nil }
    }

    func store(check id: Int, version: String, bytes: Data) { entries.store([id: Entry(version: version, bytes: bytes)]) }
}
