import ServiceLifecycle
import UnixSignals

/// SIGHUP re-reads plugins.d, as `POST /core/plugins/reload/` does: the classic way to tell
/// a daemon its configuration folder changed.
struct PluginReloadOnHangup: Service {
    let registry: PluginRegistry

    func run() async throws {
        try await reload(on: await UnixSignalsSequence(trapping: .sighup))
    }

    /// One reload per element, until graceful shutdown. Apart from the signal so tests can
    /// drive it without signalling the test process.
    func reload<Triggers: AsyncSequence & Sendable>(on triggers: Triggers) async throws where Triggers.Element: Sendable {
        for try await _ in triggers.cancelOnGracefulShutdown() {
            _ = await registry.reload()
        }
    }
}
