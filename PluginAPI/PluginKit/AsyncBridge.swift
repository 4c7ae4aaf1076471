import CGarrisonPlugin
import Synchronization
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

// Turns the header's "start call + done callback exactly once" pattern into
// `async throws`. The user pointer is a retained DoneBox: done releases it,
// or, when the start call fails (done will never run), the caller does.

/// What a done callback needs: the continuation to resume, and a label for
/// error messages.
final class DoneBox {
    let continuation: CheckedContinuation<Data, any Error>
    let what: String

    init(_ continuation: CheckedContinuation<Data, any Error>, _ what: String) {
        self.continuation = continuation
        self.what = what
    }
}

/// The garrison_done_fn of every async host service. A global function, not
/// a closure in main.swift, so Swift 6 never infers it to be @MainActor: the
/// host calls it on any thread.
func pluginKitDone(_ user: UnsafeMutableRawPointer?, _ status: Int32, _ data: garrison_bytes) {
    guard let user else { return }
    let box = Unmanaged<DoneBox>.fromOpaque(user).takeRetainedValue()
    if status == GARRISON_OK {
        box.continuation.resume(returning: data.data)  // copied: data is borrowed
    } else {
        box.continuation.resume(
            throwing: PluginError(
                PluginStatus(rawValue: status),
                data.len > 0 ? "\(box.what): \(data.string)" : box.what))
    }
}

/// The cancel token of one operation, shared by the starting code and the
/// Task's cancellation handler, which may run in either order.
final class CancelSlot: Sendable {
    private let state = Mutex<(token: UInt64, cancelled: Bool)>((0, false))

    /// Records the token; true if cancellation was asked for before it existed.
    func started(_ token: UInt64) -> Bool {
        state.withLock { s in
            s.token = token
            return s.cancelled
        }
    }

    /// Marks the operation cancelled; the token to cancel, or 0 if not yet known.
    func requestCancel() -> UInt64 {
        state.withLock { s in
            s.cancelled = true
            return s.token
        }
    }
}

extension PluginHost {
    typealias Starter = (
        _ done: garrison_done_fn, _ user: UnsafeMutableRawPointer,
        _ cancelOut: UnsafeMutablePointer<UInt64>
    ) -> Int32

    /// Starts an async host service and waits for its done callback. Task
    /// cancellation is forwarded to the host's cancel(); done then reports
    /// ERR_CANCELLED, which is thrown like any other status.
    func awaitDone(_ what: String, _ start: Starter) async throws -> Data {
        let slot = CancelSlot()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let user = Unmanaged.passRetained(DoneBox(continuation, what)).toOpaque()
                var token: UInt64 = 0
                let rc = gate.pass { start(pluginKitDone, user, &token) }
                guard rc == GARRISON_OK else {
                    // done will never run, so the box is still ours to release.
                    Unmanaged<DoneBox>.fromOpaque(user).release()
                    continuation.resume(
                        throwing: PluginError(
                            rc.map { PluginStatus(rawValue: $0) } ?? .phase,
                            rc == nil ? "\(what): plugin is shut down" : what))
                    return
                }
                // From here on done may already have run: never touch `user`.
                if slot.started(token) { cancel(token) }
            }
        } onCancel: {
            let token = slot.requestCancel()
            if token != 0 { cancel(token) }
        }
    }

    /// Asks the host to stop one pending operation; harmless if it is done.
    func cancel(_ token: UInt64) {
        let cancel = api.required(\.cancel)
        _ = gate.pass { cancel(handle, token) }
    }
}
