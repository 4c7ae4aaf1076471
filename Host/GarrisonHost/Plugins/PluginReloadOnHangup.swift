import ServiceLifecycle
import UnixSignals

/// SIGHUP re-reads plugins.d, as `POST /core/plugins/reload/` does: the classic way to tell
/// a daemon its configuration folder changed.
struct PluginReloadOnHangup: Service {
    let registry: PluginRegistry

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            _ = await registry.reload()
        }
    }
}
