import CGarrisonPlugin
import Synchronization

/// What a plugin offers, registered during plugin_init only.
///
/// PluginKit passes one to `GarrisonPlugin.register(_:)` and closes it when
/// that returns; every call after that throws `PluginError(.phase, ...)`,
/// as the host itself would answer.
public final class Registrar: Sendable {
    public let host: PluginHost
    private let open = Atomic(true)

    init(host: PluginHost) { self.host = host }

    func close() { open.store(false, ordering: .sequentiallyConsistent) }

    func ensureOpen(_ what: String) throws {
        guard open.load(ordering: .sequentiallyConsistent) else {
            throw PluginError(.phase, "\(what): registration is only possible during plugin_init")
        }
    }

    /// Adds a step to the plugin's database schema. Versions start at 1 and
    /// increase; a released step never changes.
    public func migration(version: UInt32, sql: String) throws {
        try ensureOpen("register_migration \(version)")
        let registerMigration = host.api.required(\.register_migration)
        try host.check("register_migration \(version)") {
            sql.withGarrisonBytes { registerMigration(host.handle, version, $0) }
        }
    }
}
