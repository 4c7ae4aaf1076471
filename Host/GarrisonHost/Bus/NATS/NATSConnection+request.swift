import CNats
import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// Request/reply without blocking a thread: one wildcard inbox subscription per connection
/// ("_INBOX.<random>.*"), a reply subject per request, and a table of waiting
/// continuations (the "new style" request of the Go client). libnats' own
/// natsConnection_Request would park a thread for up to the timeout.
final class NATSRequestMux: Sendable {
    private struct State {
        var prefix: String?
        var nextID: UInt64 = 0
        var waiting: [UInt64: CheckedContinuation<NATSReply, Never>] = [:]
    }
    private let state = NIOLockedValueBox(State())
    /// Every waiting request's timeout on one timer, as plugin calls have theirs; a request's
    /// timeout may fire up to 50 ms late, which no caller's timeout is close to.
    private let deadlines = DeadlineSweeper(resolution: .milliseconds(50))

    /// Subscribes the inbox on first use; returns its prefix.
    func prefix(on connection: NATSConnection) throws -> String {
        try state.withLockedValue { state in
            if let prefix = state.prefix { return prefix }
            let prefix = "_INBOX." + Crypto.randomHex(bytes: 11)
            try connection.subscribe(prefix + ".*") { [weak self] message in self?.deliver(message, prefix: prefix) }
            state.prefix = prefix
            return prefix
        }
    }

    /// Holds `continuation` until its reply comes or `timeout` passes.
    func register(_ continuation: CheckedContinuation<NATSReply, Never>, timeout: Duration) -> UInt64 {
        let id = state.withLockedValue { state in
            state.nextID += 1
            state.waiting[state.nextID] = continuation
            return state.nextID
        }
        deadlines.add(.id(id), after: TimeAmount(timeout)) { [weak self] in self?.complete(id, with: .timeout) }
        return id
    }

    func complete(_ id: UInt64, with reply: NATSReply) {
        deadlines.cancel(.id(id))
        state.withLockedValue { $0.waiting.removeValue(forKey: id) }?.resume(returning: reply)
    }

    func failAll() {
        let waiting = state.withLockedValue { state in
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for continuation in waiting { continuation.resume(returning: .natsDown) }
    }

    private func deliver(_ message: NATSMessage, prefix: String) {
        guard let id = UInt64(message.subject.dropFirst(prefix.count + 1)) else { return }
        // No subscriber on the agent's subject: the agent is not connected, which a caller
        // sees exactly as an agent that did not answer.
        complete(id, with: message.isNoResponders ? .timeout : .reply(message.data))
    }
}

extension NATSConnection {
    /// Sends `data` to `subject` and waits up to `timeout` for one reply.
    /// `.natsDown` when the host is not connected to the bus (nothing is sent), `.timeout`
    /// when no reply came in time or nobody listens on the subject.
    public func request(_ subject: String, _ data: [UInt8], timeout: Duration) async -> NATSReply {
        guard isConnected, let prefix = try? requests.prefix(on: self) else { return .natsDown }
        let requests = self.requests
        return await withCheckedContinuation { continuation in
            let id = requests.register(continuation, timeout: timeout)
            do {
                try publish(subject, data, reply: "\(prefix).\(id)")
            } catch {
                requests.complete(id, with: .natsDown)
            }
        }
    }
}
