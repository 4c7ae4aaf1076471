import CLibPQ
import Foundation

/// One libpq connection. Not thread-safe: the pool hands it to one caller at a time,
/// and every call on it blocks, so it only ever runs on the pool's blocking threads.
public final class PGConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    let conninfo: String

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
    }

    /// Runs one parameterized statement. Parameters travel as text; nil is SQL NULL.
    @discardableResult
    public func query(_ sql: String, _ params: [String?] = []) throws(DatabaseError) -> PGResult {
        guard let handle else { throw .unavailable("connection closed") }
        let result: OpaquePointer? = withCStringArray(params) { values in
            PQexecParams(handle, sql, Int32(params.count), nil, values, nil, nil, 0)
        }
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
