import NIOConcurrencyHelpers

/// Group commit for single-row writes that arrive together (a bulk run's 10,000 history
/// rows): callers submit one item each and wait for its own result, while the items that
/// queued up during the previous statement go to the database as one statement. A lone
/// write is not delayed: it starts at once as a batch of one.
final class WriteCoalescer<Item: Sendable, Output: Sendable>: Sendable {
    typealias Write = @Sendable ([Item]) async throws -> [Output]

    private struct Waiting {
        let item: Item
        let continuation: CheckedContinuation<Output, any Error>
    }

    private struct State {
        var queue: [Waiting] = []
        var draining = 0
    }

    private let state = NIOLockedValueBox(State())
    private let maxBatch: Int
    private let maxInFlight: Int
    private let write: Write

    /// `write` gets the items in submission order and returns one output per item, in the
    /// same order; when it throws, every item of that batch gets the error.
    init(maxBatch: Int, maxInFlight: Int, write: @escaping Write) {
        self.maxBatch = max(1, maxBatch)
        self.maxInFlight = max(1, maxInFlight)
        self.write = write
    }

    func submit(_ item: Item) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLockedValue { state -> Bool in
                state.queue.append(Waiting(item: item, continuation: continuation))
                guard state.draining < maxInFlight else { return false }
                state.draining += 1
                return true
            }
            if start { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLockedValue { state -> [Waiting] in
                let taken = Array(state.queue.prefix(maxBatch))
                state.queue.removeFirst(taken.count)
                if taken.isEmpty { state.draining -= 1 }
                return taken
            }
            guard !batch.isEmpty else { return }
            do {
                let outputs = try await write(batch.map(\.item))
                // A write that answers for the wrong number of items is a bug; its callers get
                // an error rather than another caller's result.
                guard outputs.count == batch.count else {
                    throw DatabaseError.unavailable("batched write returned \(outputs.count) results for \(batch.count) items")
                }
                for (waiting, output) in zip(batch, outputs) { waiting.continuation.resume(returning: output) }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }
}
