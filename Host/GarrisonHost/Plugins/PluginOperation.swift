import CGarrisonPlugin
import NIOConcurrencyHelpers

/// One pending async host service a plugin started (db_query, core_get). Its done callback
/// runs exactly once: with the result, or with GARRISON_ERR_CANCELLED when the plugin
/// cancels it or is disabled -- whichever comes first.
final class PluginOperation: Sendable {
    let token: UInt64
    private let host: LoadedPlugin
    private let done = NIOLockedValueBox<PluginCallback<garrison_done_fn>?>(nil)
    /// Set while a statement runs on a connection the operation holds; the lock is held
    /// across PQcancel so the connection cannot be handed on mid-cancel.
    private let canceller = NIOLockedValueBox<PGCanceller?>(nil)

    init(host: LoadedPlugin, done: garrison_done_fn, user: UnsafeMutableRawPointer?) {
        self.token = Self.nextToken()
        self.host = host
        self.done.withLockedValue { $0 = PluginCallback(function: done, user: PluginUserData(pointer: user)) }
    }

    /// Runs `body` (a statement) cancellably: a cancel meanwhile stops it on the server.
    func cancellable<T>(_ connectionCanceller: PGCanceller?, _ body: () throws -> T) rethrows -> T {
        canceller.withLockedValue { $0 = connectionCanceller }
        defer { canceller.withLockedValue { $0 = nil } }
        return try body()
    }

    var isFinished: Bool { done.withLockedValue { $0 == nil } }

    /// Calls done once; later calls do nothing.
    func complete(_ status: Int32, _ data: String) {
        guard
            let callback = done.withLockedValue({ value -> PluginCallback<garrison_done_fn>? in
                defer { value = nil }
                return value
            })
        else { return }
        host.withState { _ = $0.operations.removeValue(forKey: token) }
        guard host.enter(.completion) else {
            host.logger.error("operation completed after the plugin stopped; done not called", metadata: ["token": "\(token)"])
            return
        }
        var text = data
        text.withUTF8 { bytes in
            callback.function(callback.user.pointer, status, garrison_bytes(ptr: bytes.baseAddress, len: bytes.count))
        }
        host.exit()
    }

    /// cancel() from the plugin, or disabling: done gets GARRISON_ERR_CANCELLED now and the
    /// statement, if one runs, is stopped.
    func cancel(_ message: String) {
        guard !isFinished else { return }
        canceller.withLockedValue { $0?.cancelStatement() }
        complete(GARRISON_ERR_CANCELLED, message)
    }

    /// Cancel tokens: never 0, never reused in the life of the process.
    private static let counter = NIOLockedValueBox<UInt64>(0)
    private static func nextToken() -> UInt64 {
        counter.withLockedValue {
            $0 += 1; return $0
        }
    }
}
