import NIOConcurrencyHelpers

/// Concurrent loads of the same key share one: when ten requests of one agent arrive
/// together and miss a cache, the database sees one lookup, not ten.
final class SingleFlight<Value: Sendable>: Sendable {
    private let flights = NIOLockedValueBox<[String: Task<Value, any Error>]>([:])

    func run(_ key: String, _ load: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let task = flights.withLockedValue { flights -> Task<Value, any Error> in
            if let running = flights[key] { return running }
            let task = Task { try await load() }
            flights[key] = task
            return task
        }
        defer { flights.withLockedValue { if $0[key] == task { $0.removeValue(forKey: key) } } }
        return try await task.value
    }

    /// Later callers start a new load instead of joining one begun before a change.
    func forgetAll() {
        flights.withLockedValue { $0.removeAll() }
    }
}
