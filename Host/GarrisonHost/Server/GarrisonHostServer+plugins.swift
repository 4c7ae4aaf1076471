import Foundation
import Logging

extension GarrisonHostServer {
    /// `garrison plugins`: loads plugins.d in-process without serving or a database, lists
    /// what loaded (with everything each plugin registered during a real plugin_init) and
    /// shuts them down again. Database calls made meanwhile fail with UNAVAILABLE, and
    /// migrations are listed, not applied.
    public static func inspectPlugins(config: GarrisonConfig, logger: Logger) async -> [JSON] {
        // As serve would: a plugin may keep a file there (the two-factor key, made on first start).
        try? FileManager.default.createDirectory(at: config.dataURL, withIntermediateDirectories: true)
        let dry = DryPluginHost(config: config, logger: logger)
        try? await dry.plugins.loadAll()
        let listing = await dry.plugins.listing()
        await dry.shutdown()
        return listing
    }
}

/// A plugin registry with the core route table (so route conflicts are real) but no
/// database and no listener.
struct DryPluginHost: Sendable {
    let context: HostContext
    let dispatcher: Dispatcher
    let plugins: PluginRegistry
    private let unusedPool: DatabasePool

    init(config: GarrisonConfig, logger: Logger) {
        // Never connected: the core routes need a pool to be built, and none of them is served.
        unusedPool = DatabasePool(conninfo: "host=/nonexistent dbname=none connect_timeout=1", size: 1, logger: logger)
        context = HostContext(
            pool: unusedPool, hasher: PasswordHasher(), throttleLimits: .init(), tokenTTL: .seconds(60), metrics: MetricsRegistry(),
            logger: logger)
        dispatcher = Dispatcher(
            authenticator: context.authenticator, metrics: context.metrics, logger: logger, maxBodyBytes: config.maxBodyBytes)
        plugins = PluginRegistry(
            directory: config.pluginsDirectory,
            services: GarrisonHostServer.pluginServices(config, context: context, dispatcher: dispatcher, pool: nil, logger: logger))
        let commander = AgentCommander(
            pool: unusedPool, bus: BusLink(), events: context.events, pendingLifetime: .seconds(3600), logger: logger)
        try? dispatcher.register(
            CoreRouteSet.all(context, dispatcher: dispatcher, commander: commander, config: config)
                + PluginRoutes.routes(plugins, audit: context))
    }

    func shutdown() async {
        await plugins.shutdown()
        await context.shutdown()
        await unusedPool.close()
    }
}
