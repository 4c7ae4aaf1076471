import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// The assembled host: storage, shared context, routes, and the HTTPS listener.
public final class GarrisonHostServer: Sendable {
    public let config: GarrisonConfig
    public let storage: Storage
    public let context: HostContext
    public let dispatcher: Dispatcher
    public let jobs: JobRegistry
    public let scheduler: Scheduler
    public let plugins: PluginRegistry
    /// Nil with `nats.enabled = false`.
    public let bus: AgentBus?
    /// Commands to agents (history, pending actions).
    public let commander: AgentCommander
    /// The dashboard's websockets (/ws/dashinfo/).
    public let sockets: DashboardSockets
    /// The other hosts sharing the database (docs/scale-out.md).
    public let cluster: ClusterLink
    public let logger: Logger

    public static func start(config: GarrisonConfig, logger: Logger, hasher: PasswordHasher = PasswordHasher()) async throws
        -> GarrisonHostServer
    {
        try FileManager.default.createDirectory(at: config.dataURL, withIntermediateDirectories: true)
        // Before nats-server is spawned, so it inherits the limit too.
        let files = FileLimit.raiseToHard()
        if config.natsEnabled, files < 4096 {
            logger.warning(
                "open-file limit is low for agents at /natsws (two descriptors each in the host)", metadata: ["limit": "\(files)"])
        }
        let storage = try await Storage.open(config, logger: logger)
        let metrics = MetricsRegistry()
        metrics.bootstrapGlobal()
        let context = HostContext(
            pool: storage.pool, hasher: hasher,
            throttleLimits: .init(
                perUser: config.loginFailuresPerUser, perAddress: config.loginFailuresPerAddress,
                window: .seconds(config.loginWindowSeconds)),
            tokenTTL: .seconds(config.tokenTTLHours * 3600), metrics: metrics, logger: logger)
        let dispatcher = Dispatcher(
            authenticator: context.authenticator, metrics: metrics, logger: logger, maxBodyBytes: config.maxBodyBytes,
            maxAnonymousBodyBytes: config.maxAnonymousBodyBytes, trustForwardedFor: config.trustForwardedFor,
            trustedProxies: (try? TrustedProxies(parsing: config.trustedProxies)) ?? .none, logRequests: config.logRequests)
        let jobs = JobRegistry()
        let scheduler = Scheduler(pool: storage.pool, registry: jobs, logger: logger)
        let busLink = BusLink()
        let commander = AgentCommander(
            pool: storage.pool, bus: busLink, events: context.events, pendingLifetime: .seconds(config.pendingActionHours * 3600),
            logger: logger)
        let plugins = PluginRegistry(
            directory: config.pluginsDirectory,
            services: pluginServices(
                config, context: context, dispatcher: dispatcher, pool: storage.pool, scheduler: scheduler, commander: commander,
                logger: logger))
        try dispatcher.register(
            CoreRouteSet.all(context, dispatcher: dispatcher, commander: commander, config: config) + ScheduleRoutes.routes(scheduler.store)
                + PluginRoutes.routes(plugins, audit: context))
        try await HostJobs.register(jobs, store: scheduler.store, pool: storage.pool, logger: logger)
        try await CommandJobs.register(
            jobs, store: scheduler.store, commander: commander, update: config.agentUpdate, events: context.events)
        _ = try await FirstRunAdmin.ensure(pool: storage.pool, hasher: hasher, dataDirectory: config.dataURL, logger: logger)
        // The other hosts on this database: cached identities forgotten everywhere after a
        // change anywhere, and (with the bus) one nats-server cluster (docs/scale-out.md).
        let cluster = try await ClusterLink.start(pool: storage.pool, dataDirectory: config.dataURL, logger: logger)
        // Login failures counted in the database, so every host counts every host's.
        context.throttle.share(storage.pool)
        context.authenticator.share(announce: { cluster.announceAuthChanged() }, isHeard: { cluster.isListening })
        cluster.onAuthChanged { [authenticator = context.authenticator] in authenticator.invalidateLocally() }
        var bus: AgentBus?
        // After the core routes, so a plugin can never take a core route's place.
        do {
            if config.natsEnabled {
                bus = try await AgentBus.start(
                    config: config, pool: storage.pool, events: context.events, router: commander.router, cluster: cluster, logger: logger)
                busLink.attach(bus)
            }
            try await plugins.loadAll()
            // Every plugin has subscribed: what a plugin publishes at start (the checks
            // plugin's replay of recent events) now reaches the others.
            context.events.publish("core.started", [:])
        } catch {
            await plugins.shutdown()
            await bus?.shutdown()
            await cluster.stop(leave: true)
            await context.shutdown()
            await storage.close()
            throw error
        }
        var socketSettings = DashboardSockets.Settings()
        socketSettings.perUser = config.maxWebSocketsPerUser
        socketSettings.idleTimeout = .seconds(config.webSocketIdleTimeoutSeconds)
        let sockets = DashboardSockets(
            authenticator: context.authenticator, pool: storage.pool, events: context.events, settings: socketSettings,
            metrics: metrics, logger: logger)
        return GarrisonHostServer(
            config: config, storage: storage, context: context, dispatcher: dispatcher, jobs: jobs, scheduler: scheduler, plugins: plugins,
            bus: bus, commander: commander, sockets: sockets, cluster: cluster, logger: logger)
    }

    init(
        config: GarrisonConfig, storage: Storage, context: HostContext, dispatcher: Dispatcher, jobs: JobRegistry, scheduler: Scheduler,
        plugins: PluginRegistry, bus: AgentBus?, commander: AgentCommander, sockets: DashboardSockets, cluster: ClusterLink,
        logger: Logger
    ) {
        self.cluster = cluster
        self.sockets = sockets
        self.commander = commander
        self.config = config
        self.storage = storage
        self.context = context
        self.dispatcher = dispatcher
        self.jobs = jobs
        self.scheduler = scheduler
        self.plugins = plugins
        self.bus = bus
        self.logger = logger
    }

    static func pluginServices(
        _ config: GarrisonConfig, context: HostContext, dispatcher: Dispatcher, pool: DatabasePool?, scheduler: Scheduler? = nil,
        commander: AgentCommander? = nil, logger: Logger
    ) -> PluginServices {
        PluginServices(
            pool: pool, dispatcher: dispatcher, events: context.events, loginHooks: context.loginHooks,
            agentMembers: context.agentMembers,
            audit: pool == nil ? nil : context.audit, claims: PluginClaims(), jobs: scheduler?.registry, schedules: scheduler?.store,
            commander: commander,
            callTimeout: .milliseconds(config.pluginCallTimeoutMS),
            callDeadlines: DeadlineSweeper(forTimeout: .milliseconds(config.pluginCallTimeoutMS)),
            drainTimeout: .milliseconds(config.pluginDrainTimeoutMS), dataDirectory: config.dataURL.path, logger: logger)
    }

    /// Builds the listener: TLS unless the configuration explicitly asks for plain HTTP.
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        // HTTP/1 with agents' websockets at /natsws carried to nats-server, behind the
        // connection guard (deadlines, per-address cap, Connection: close).
        if config.plainHTTP {
            logger.warning("serving plain HTTP (server.plain_http = true): only do this behind a TLS-terminating proxy")
        }
        let server: HTTPServerBuilder = .guarded(
            tls: config.plainHTTP ? nil : try tlsConfiguration(), upstream: natsWebSocketUpstream(),
            limits: ConnectionLimits(config, metrics: context.metrics), sockets: sockets)
        let logger = self.logger
        return Application(
            responder: dispatcher,
            server: server,
            configuration: .init(address: .hostname(config.serverHost, port: config.serverPort), serverName: "Garrison"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.notice("listening", metadata: ["port": "\(port)"])
                await onRunning(port)
            },
            logger: logger)
    }

    func tlsConfiguration() throws -> TLSConfiguration {
        var certificatePath = config.tlsCertificate
        var keyPath = config.tlsKey
        if certificatePath.isEmpty {
            let (files, created) = try SelfSignedCertificate.ensure(
                in: config.dataURL, hostnames: Array(Set([config.publicHostname, "localhost", "127.0.0.1"])).sorted())
            certificatePath = files.certificate.path
            keyPath = files.key.path
            let fingerprint = (try? SelfSignedCertificate.fingerprint(of: files.certificate)) ?? "?"
            if created { print("Created a self-signed certificate \(certificatePath)\nSHA-256 fingerprint: \(fingerprint)") }
            logger.info("self-signed certificate", metadata: ["path": "\(certificatePath)", "sha256": "\(fingerprint)"])
        }
        let certificates = try NIOSSLCertificate.fromPEMFile(certificatePath)
        if let leaf = certificates.first { sockets.certificateExpiry = Date(timeIntervalSince1970: TimeInterval(leaf.notValidAfter)) }
        let chain = certificates.map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        // TLS 1.2 gets forward-secret AEAD suites only (no CBC, no SHA-1 MACs); TLS 1.3's
        // suites are all AEAD and fixed by BoringSSL.
        tls.cipherSuiteValues = [
            .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ]
        // After our close_notify, wait this long for the client's before closing anyway: a
        // client that never answers (a cut slow client) would otherwise keep its socket and its
        // per-address slot for NIOSSL's default 5 s.
        tls.shutdownTimeout = .seconds(1)
        return tls
    }

    /// Runs until SIGTERM or SIGINT: stops accepting, drains in-flight requests, then closes
    /// the pool and stops the private PostgreSQL.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let app = try application(onRunning: onRunning)
        let group = ServiceGroup(
            configuration: .init(
                services: [app, scheduler, PluginReloadOnHangup(registry: plugins)], gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do { try await group.run() } catch {
            await shutdown()
            throw error
        }
        await shutdown()
    }

    public func shutdown() async {
        sockets.shutdown()
        await plugins.shutdown()
        await bus?.shutdown()
        await cluster.stop(leave: true)
        await context.shutdown()
        await storage.close()
        logger.notice("stopped")
    }
}

/// Every route the host itself serves.
enum CoreRouteSet {
    static func all(_ context: HostContext, dispatcher: Dispatcher, commander: AgentCommander, config: GarrisonConfig) -> [Route] {
        let bus = commander.bus
        // Who may do what changed: "core.accounts.changed" after each successful change of an
        // operator, a role or the global settings (the meshcentral plugin syncs on it).
        let accounts = (UserRoutes.routes(context) + RoleRoutes.routes(context)).map { $0.publishing("core.accounts.changed", context) }
        return LoginRoutes.routes(context) + accounts + APIKeyRoutes.routes(context)
            + SessionRoutes.routes(context) + ClientRoutes.routes(context) + AgentRoutes.routes(context, commander: commander)
            + HistoryRoutes.routes(context, commander: commander, update: config.agentUpdate)
            + CoreRoutes.routes(context).map { $0.pattern == "/core/settings/" ? $0.publishing("core.accounts.changed", context) : $0 }
            + PolicyRoutes.routes(context) + AuditRoutes.routes(context) + OpenAPIRoutes.routes(dispatcher)
            + AgentAPIRoutes.routes(context) + AgentReportRoutes.routes(context)
            + EnrollmentRoutes.routes(context, agentsChanged: { await bus.agentsChanged() })
            + InstallerRoutes.routes(context, server: config.installServer)
            + KeyStoreRoutes.routes(context) + AgentNoteRoutes.routes(context)
            + MonitoringRoutes.routes(context, config.monitoringSources(bus))
            + AgentFleetRoutes.routes(context, latestVersion: config.agentLatestVersion) + CustomFieldRoutes.routes(context)
            // The web dashboard's page and files (anonymous: see DashboardRoutes).
            + DashboardRoutes.routes()
    }
}

extension GarrisonConfig {
    func monitoringSources(_ bus: BusLink) -> MonitoringRoutes.Sources {
        let certificate = tlsCertificate.isEmpty ? dataURL.appendingPathComponent("tls/cert.pem") : URL(fileURLWithPath: tlsCertificate)
        return MonitoringRoutes.Sources(
            token: monitoringToken, certificate: certificate, dataDirectory: dataURL, latestAgentVersion: agentLatestVersion,
            natsWebsocketPort: { bus.websocketPort }, busConnected: { bus.isConnected })
    }

    var agentUpdate: AgentUpdate { AgentUpdate(latestVersion: agentLatestVersion, urlTemplate: agentUpdateURL) }

    var installServer: InstallCommand.Server {
        let url = agentPublicURL.isEmpty ? "https://\(publicHostname)" + (serverPort == 443 ? "" : ":\(serverPort)") : agentPublicURL
        return InstallCommand.Server(
            apiURL: url.hasSuffix("/") ? String(url.dropLast()) : url, agentVersion: agentLatestVersion, natsTLSPort: natsTLSPort)
    }
}
