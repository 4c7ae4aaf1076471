import Synchronization
#if canImport(Glibc)
    import Glibc
#endif

/// Keeps PluginKit from calling the host once the plugin is shut down.
///
/// Route handlers run in Tasks that can outlive the host's drain deadline;
/// the ABI forbids any host call after plugin_shutdown() returns. Every host
/// call goes through `pass`, and `close` waits for calls already inside the
/// host (they never block, so the wait is short) before it returns.
final class HostGate: Sendable {
    private struct State {
        var closed = false
        var active = 0
    }

    private let state = Mutex(State())

    /// Runs `body` unless the gate is closed; then returns nil.
    func pass<R>(_ body: () throws -> R) rethrows -> R? {
        let open = state.withLock { s in
            if s.closed { return false }
            s.active += 1
            return true
        }
        guard open else { return nil }
        defer { state.withLock { $0.active -= 1 } }
        return try body()
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    /// Closes the gate and waits, up to `deadline` seconds, for host calls in
    /// flight on other threads.
    func close(deadline: Double = 5) {
        state.withLock { $0.closed = true }
        var waited = 0.0
        while state.withLock({ $0.active }) > 0 && waited < deadline {
            usleep(200)
            waited += 0.0002
        }
    }
}
