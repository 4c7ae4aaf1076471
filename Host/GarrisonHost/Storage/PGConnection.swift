import CLibPQ
import Foundation

/// One libpq connection. Not thread-safe: the pool hands it to one caller at a time,
/// and every call on it blocks, so it only ever runs on the pool's blocking threads.
public final class PGConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    let conninfo: String
    /// Statements prepared on this session by `pipeline`: cache key -> statement name.
    private var prepared: [String: String] = [:]
    private var preparedCount = 0
    /// Prepared names start with this, so they cannot meet a name a plugin's SQL chose.
    private let preparedPrefix = "garrison_\(UInt32.random(in: 0...UInt32.max))_"
    /// A session keeps at most this many; statements beyond it run unprepared.
    static let preparedLimit = 512

    init(conninfo: String) throws(DatabaseError) {
        self.conninfo = conninfo
        self.handle = PQconnectdb(conninfo)
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            let message = handle.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            if let handle { PQfinish(handle) }
            self.handle = nil
            throw .unavailable(message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        // Quiet NOTICE chatter (e.g. "relation already exists, skipping") out of stderr.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    deinit { if let handle { PQfinish(handle) } }

    public var isHealthy: Bool { handle.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// No transaction open (and none failed) on this connection.
    public var isIdle: Bool { handle.map { PQtransactionStatus($0) == PQTRANS_IDLE } ?? false }

    /// Re-establishes a broken connection (the server restarted, or went away and came back).
    public func resetIfBroken() {
        guard let handle, PQstatus(handle) != CONNECTION_OK else { return }
        PQreset(handle)
        forgetPrepared()
    }

    /// After DISCARD ALL or DEALLOCATE ALL: the session has no prepared statements left.
    public func forgetPrepared() { prepared.removeAll() }

    /// Drops one cached statement (its plan no longer fits, e.g. a table changed shape).
    public func forgetPrepared(key: String) {
        guard let name = prepared.removeValue(forKey: key) else { return }
        _ = try? query("DEALLOCATE \(name)")
    }

    /// Runs one parameterized statement. Parameters travel as text; nil is SQL NULL. With
    /// `prepared`, the statement is prepared once per session (keyed by its text) and run by
    /// name after that: for hot statements, so PostgreSQL parses and plans them once.
    @discardableResult
    public func query(_ sql: String, _ params: [String?] = [], prepared usePrepared: Bool = false) throws(DatabaseError) -> PGResult {
        guard let handle else { throw .unavailable("connection closed") }
        if usePrepared {
            if prepared[sql] == nil, prepared.count < Self.preparedLimit {
                preparedCount += 1
                let name = preparedPrefix + String(preparedCount)
                guard let made = PQprepare(handle, name, sql, Int32(params.count), nil) else {
                    throw .unavailable(String(cString: PQerrorMessage(handle)))
                }
                defer { PQclear(made) }
                guard PQresultStatus(made) == PGRES_COMMAND_OK else { throw DatabaseError.from(result: made, connection: handle) }
                prepared[sql] = name
            }
            if let name = prepared[sql] {
                do {
                    return try run(handle, params) { values in PQexecPrepared(handle, name, Int32(params.count), values, nil, nil, 0) }
                } catch  where ["0A000", "26000"].contains(error.sqlState) {
                    // The table changed shape, or the statement was deallocated: unprepared this once.
                    prepared.removeValue(forKey: sql)
                }
            }
        }
        return try run(handle, params) { values in PQexecParams(handle, sql, Int32(params.count), nil, values, nil, nil, 0) }
    }

    private func run(_ handle: OpaquePointer, _ params: [String?], _ exec: ([UnsafePointer<CChar>?]) -> OpaquePointer?)
        throws(DatabaseError) -> PGResult
    {
        let result: OpaquePointer? = withCStringArray(params) { values in exec(values) }
        guard let result else {
            throw .unavailable(String(cString: PQerrorMessage(handle)))
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            return PGResult(result)
        default:
            let error = DatabaseError.from(result: result, connection: handle)
            PQclear(result)
            throw error
        }
    }

    /// One statement of a `pipeline` segment.
    public struct Step: Sendable {
        public let sql: String
        public let params: [String?]
        /// Set: prepare the statement once per session under this key and execute it by name
        /// from then on (parse and plan once instead of on every call).
        public let cacheKey: String?
        public init(_ sql: String, _ params: [String?] = [], cacheKey: String? = nil) {
            self.sql = sql
            self.params = params
            self.cacheKey = cacheKey
        }
    }

    /// Runs `segments` in libpq's pipeline mode: everything is sent at once and read back
    /// after, so the whole list costs one network round trip. Each segment ends with a sync
    /// point, which makes it its own implicit transaction: an error skips the rest of its
    /// segment (and undoes it) but not the next segments. Returns, per segment, the result
    /// of its last statement or its first error. Throws only when the connection fails.
    public func pipeline(_ segments: [[Step]]) throws(DatabaseError) -> [Result<PGResult, DatabaseError>] {
        guard let handle else { throw .unavailable("connection closed") }
        func failure() -> DatabaseError {
            .unavailable(String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        guard PQenterPipelineMode(handle) == 1 else { throw failure() }
        defer { _ = PQexitPipelineMode(handle) }
        // What each command sent is, in order: a statement, or the preparation of one.
        enum Command { case statement, prepare(key: String, name: String) }
        var commands: [[Command]] = []
        for segment in segments {
            var sent: [Command] = []
            for step in segment {
                var name: String?
                if let key = step.cacheKey {
                    if let known = prepared[key] {
                        name = known
                    } else if prepared.count < Self.preparedLimit {
                        preparedCount += 1
                        let fresh = preparedPrefix + String(preparedCount)
                        guard PQsendPrepare(handle, fresh, step.sql, Int32(step.params.count), nil) == 1 else { throw failure() }
                        sent.append(.prepare(key: key, name: fresh))
                        name = fresh
                    }
                }
                let ok = withCStringArray(step.params) { values in
                    if let name {
                        return PQsendQueryPrepared(handle, name, Int32(step.params.count), values, nil, nil, 0)
                    }
                    return PQsendQueryParams(handle, step.sql, Int32(step.params.count), nil, values, nil, nil, 0)
                }
                guard ok == 1 else { throw failure() }
                sent.append(.statement)
            }
            // Also flushes what was queued.
            guard PQpipelineSync(handle) == 1 else { throw failure() }
            commands.append(sent)
        }
        var results: [Result<PGResult, DatabaseError>] = []
        for sent in commands {
            var outcome: Result<PGResult, DatabaseError>?
            for command in sent {
                while let result = PQgetResult(handle) {
                    switch PQresultStatus(result) {
                    case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
                        if case .prepare(let key, let name) = command {
                            // Kept even if its execution fails: the name exists on the server now.
                            prepared[key] = name
                            PQclear(result)
                        } else {
                            outcome = .success(PGResult(result))
                        }
                    case PGRES_PIPELINE_ABORTED:
                        PQclear(result)
                    default:
                        outcome = .failure(DatabaseError.from(result: result, connection: handle))
                        PQclear(result)
                    }
                }
            }
            // The sync point's own result.
            while let result = PQgetResult(handle) {
                let status = PQresultStatus(result)
                PQclear(result)
                if status == PGRES_PIPELINE_SYNC { break }
            }
            results.append(outcome ?? .failure(failure()))
        }
        return results
    }

    /// A handle that cancels the statement running on this connection, from any thread.
    /// Only valid while the caller still holds the connection: a late cancel could otherwise
    /// hit the next user's statement.
    public func makeCanceller() -> PGCanceller? {
        guard let handle, let cancel = PQgetCancel(handle) else { return nil }
        return PGCanceller(cancel)
    }

    /// Runs several statements separated by semicolons, without parameters (migrations).
    public func execute(script: String) throws(DatabaseError) {
        guard let handle else { throw .unavailable("connection closed") }
        guard let result = PQexec(handle, script) else {
            throw .unavailable(String(cString: PQerrorMessage(handle)))
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        if status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK {
            throw DatabaseError.from(result: result, connection: handle)
        }
    }
}

/// libpq's cancel object: PQcancel is safe to call from another thread than the one running
/// the statement, which is its whole purpose.
public final class PGCanceller: @unchecked Sendable {
    private let cancel: OpaquePointer

    init(_ cancel: OpaquePointer) { self.cancel = cancel }

    deinit { PQfreeCancel(cancel) }

    /// Asks the server to stop the running statement; a no-op if nothing runs.
    public func cancelStatement() {
        var message = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancel, &message, Int32(message.count))
    }
}

/// Keeps every parameter's C string alive for the duration of `body`.
private func withCStringArray<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    var owned: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } }
    defer { for pointer in owned { free(pointer) } }
    return owned.withUnsafeMutableBufferPointer { buffer in
        body(buffer.map { UnsafePointer($0) })
    }
}
