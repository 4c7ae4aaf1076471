import Foundation
import Logging

/// The host's side of the agents' bus: the supervised nats-server (unless `nats.url` points
/// at one), the host's connection to it, and telemetry ingestion.
public final class AgentBus: Sendable {
    public let supervisor: NATSSupervisor?
    public let connection: NATSConnection
    public let telemetry: TelemetryIngest
    /// The other hosts on this database (nil for a host started without one, in tests).
    let cluster: ClusterLink?
    let logger: Logger

    public static func start(
        config: GarrisonConfig, pool: DatabasePool, events: EventBus, router: AgentMessageRouter = AgentMessageRouter(),
        cluster: ClusterLink? = nil, logger: Logger
    ) async throws -> AgentBus {
        var supervisor: NATSSupervisor?
        var options = NATSConnection.Options(url: config.natsURL)
        if config.natsURL.isEmpty {
            var settings = try supervisorSettings(config)
            var routes: @Sendable () async throws -> [String] = { [] }
            if let cluster {
                let explicit = config.natsClusterRoutes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                    !$0.isEmpty
                }
                let credentials =
                    config.natsClusterUser.isEmpty || config.natsClusterPassword.isEmpty
                    ? try await cluster.routeCredentials() : (user: config.natsClusterUser, password: config.natsClusterPassword)
                settings.cluster = NATSServerConfig.Cluster(
                    host: config.natsClusterAddress, port: config.natsClusterPort == 0 ? FreePort.find() : config.natsClusterPort,
                    routeUser: credentials.user, routePassword: credentials.password, routes: [])
                routes = {
                    if !explicit.isEmpty { return explicit }
                    return try await cluster.peerAddresses().map {
                        NATSServerConfig.Cluster.routeURL(user: credentials.user, password: credentials.password, address: $0)
                    }
                }
            }
            let started = try NATSSupervisor(settings: settings, logger: logger, agents: { try await AgentBus.agentUsers(pool) }, routes: routes)
            // Before the node starts: a change announced from now on is applied (by a reload once
            // it runs; until then its first config reads the database afresh).
            cluster?.onNATSChanged { generation in
                Task {
                    let applied = await started.apply(generation: generation)
                    await cluster?.acknowledge(applied)
                }
            }
            try await started.start()
            if let cluster, let node = settings.cluster {
                // The other nodes add a route to this one (this one already routes to them).
                try await cluster.registerNode(address: "\(node.host):\(node.port)")
                let generation = try await cluster.announceNATSChanged()
                await cluster.acknowledge(await started.apply(generation: generation))
                logger.info("nats-server cluster node", metadata: ["address": "\(node.host):\(node.port)", "host_id": "\(cluster.hostID)"])
            }
            supervisor = started
            options = NATSConnection.Options(url: started.url, user: started.hostUser, password: started.hostPassword)
            // With nats.tls_port the client port takes TLS only (plain would be open on every
            // address): the host speaks TLS to it as well.
            options.tlsToOwnChild = started.settings.tls != nil
        }
        do {
            let connection = try NATSConnection.connect(options, logger: logger)
            let telemetry = TelemetryIngest(pool: pool, events: events, router: router, logger: logger)
            try telemetry.start(on: connection)
            return AgentBus(supervisor: supervisor, connection: connection, telemetry: telemetry, cluster: cluster, logger: logger)
        } catch {
            await supervisor?.stop()
            throw error
        }
    }

    init(supervisor: NATSSupervisor?, connection: NATSConnection, telemetry: TelemetryIngest, cluster: ClusterLink? = nil, logger: Logger) {
        self.supervisor = supervisor
        self.connection = connection
        self.telemetry = telemetry
        self.cluster = cluster
        self.logger = logger
    }

    /// How long a change waits for the other hosts' nodes before answering anyway.
    static let nodesTimeout: Duration = .seconds(3)

    /// Call after agents enroll or are deleted, so their NATS users appear or go -- on every
    /// host's node: this returns once each live host's node runs the new users (or after
    /// `nodesTimeout`), so an agent enrolled here may connect through any host at once.
    public func agentsChanged() async {
        guard let supervisor else { return }
        guard let cluster else {
            await supervisor.agentsChanged()
            return
        }
        do {
            let generation = try await cluster.announceNATSChanged()
            await cluster.acknowledge(await supervisor.apply(generation: generation))
            let behind = await cluster.awaitNodes(generation, timeout: Self.nodesTimeout)
            if !behind.isEmpty {
                logger.warning(
                    "hosts' nats-server nodes did not load the new agent users in time", metadata: ["hosts": "\(behind.joined(separator: ","))"])
            }
        } catch {
            // The database refused the announcement: at least this node is current.
            logger.warning("agent users change not announced to the other hosts", metadata: ["error": "\(error)"])
            await supervisor.agentsChanged()
        }
    }

    public func shutdown() async {
        await telemetry.stop()
        connection.close()
        await supervisor?.stop()
    }

    static func supervisorSettings(_ config: GarrisonConfig) throws -> NATSSupervisor.Settings {
        var tls: NATSServerConfig.TLS?
        if config.natsTLSPort > 0 {
            var certificate = config.tlsCertificate
            var key = config.tlsKey
            if certificate.isEmpty {
                let (files, _) = try SelfSignedCertificate.ensure(
                    in: config.dataURL, hostnames: Array(Set([config.publicHostname, "localhost", "127.0.0.1"])).sorted())
                certificate = files.certificate.path
                key = files.key.path
            }
            tls = NATSServerConfig.TLS(port: config.natsTLSPort, certificateFile: certificate, keyFile: key)
        }
        // A free port is chosen once and kept across restarts, so the host reconnects to it.
        return NATSSupervisor.Settings(
            directory: config.dataURL.appendingPathComponent("nats"),
            clientPort: config.natsPort == 0 ? FreePort.find() : config.natsPort,
            websocketPort: config.natsWebsocketPort == 0 ? FreePort.find() : config.natsWebsocketPort,
            tls: tls, requireTLS: tls != nil)
    }

    static func agentUsers(_ pool: DatabasePool) async throws -> [NATSServerConfig.AgentUser] {
        try await pool.query("SELECT agent_id, nats_password FROM agents WHERE nats_password IS NOT NULL").rows.map {
            NATSServerConfig.AgentUser(agentID: $0.string("agent_id"), passwordHash: $0.string("nats_password"))
        }
    }
}
