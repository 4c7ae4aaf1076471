import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix

/// A fixed-size pool of libpq connections. libpq blocks, so every statement runs on a
/// dedicated thread pool and never on Swift's cooperative threads.
public final class DatabasePool: Sendable {
    private struct State {
        var idle: [PGConnection] = []
        var created = 0
        var waiters: [CheckedContinuation<PGConnection?, Never>] = []
        var closed = false
    }

    public let conninfo: String
    public let size: Int
    private let state = NIOLockedValueBox(State())
    private let threads: NIOThreadPool
    private let logger: Logger

    public init(conninfo: String, size: Int, logger: Logger) {
        self.conninfo = conninfo
        self.size = max(1, size)
        self.logger = logger
        self.threads = NIOThreadPool(numberOfThreads: self.size)
        self.threads.start()
    }

    /// Runs `body` with one connection on a blocking thread.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let value = try await threads.runIfActive {
                connection.resetIfBroken()
                return try body(connection)
            }
            release(connection)
            return value
        } catch {
            release(connection)
            throw error
        }
    }

    /// Runs `body` inside BEGIN/COMMIT; any thrown error rolls back.
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        try await withConnection { connection in
            try connection.query("BEGIN")
            do {
                let value = try body(connection)
                try connection.query("COMMIT")
                return value
            } catch {
                _ = try? connection.query("ROLLBACK")
                throw error
            }
        }
    }

    /// Convenience: one statement on any connection.
    @discardableResult
    public func query(_ sql: String, _ params: [String?] = [], prepared: Bool = false) async throws -> PGResult {
        try await withConnection { try $0.query(sql, params, prepared: prepared) }
    }

    public func close() async {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<PGConnection?, Never>] in
            state.closed = true
            state.idle.removeAll()
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
        try? await threads.shutdownGracefully()
    }

    private enum Acquire { case ready(PGConnection), create, wait, closed }

    private func acquire() async throws -> PGConnection {
        let decision = state.withLockedValue { state -> Acquire in
            if state.closed { return .closed }
            if let connection = state.idle.popLast() { return .ready(connection) }
            if state.created < size { state.created += 1; return .create }
            return .wait
        }
        switch decision {
        case .ready(let connection):
            return connection
        case .closed:
            throw DatabaseError.unavailable("the connection pool is closed")
        case .create:
            let conninfo = self.conninfo
            do {
                return try await threads.runIfActive { try PGConnection(conninfo: conninfo) }
            } catch {
                state.withLockedValue { $0.created -= 1 }
                throw error
            }
        case .wait:
            let connection = await withCheckedContinuation { (continuation: CheckedContinuation<PGConnection?, Never>) in
                let immediate = state.withLockedValue { state -> PGConnection?? in
                    if state.closed { return .some(nil) }
                    if let connection = state.idle.popLast() { return .some(connection) }
                    state.waiters.append(continuation)
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
            guard let connection else { throw DatabaseError.unavailable("the connection pool is closed") }
            return connection
        }
    }

    private func release(_ connection: PGConnection) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<PGConnection?, Never>? in
            if state.closed { return nil }
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(connection)
            return nil
        }
        waiter?.resume(returning: connection)
    }
}
