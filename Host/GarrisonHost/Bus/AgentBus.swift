import Foundation
import Logging

/// The host's side of the agents' bus: the supervised nats-server (unless `nats.url` points
/// at one), the host's connection to it, and telemetry ingestion.
public final class AgentBus: Sendable {
    public let supervisor: NATSSupervisor?
    public let connection: NATSConnection
    public let telemetry: TelemetryIngest

    public static func start(
        config: GarrisonConfig, pool: DatabasePool, events: EventBus, router: AgentMessageRouter = AgentMessageRouter(), logger: Logger
    ) async throws -> AgentBus {
        var supervisor: NATSSupervisor?
        var options = NATSConnection.Options(url: config.natsURL)
        if config.natsURL.isEmpty {
            let started = try NATSSupervisor(settings: try supervisorSettings(config), logger: logger) {
                try await AgentBus.agentUsers(pool)
            }
            try await started.start()
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
            return AgentBus(supervisor: supervisor, connection: connection, telemetry: telemetry)
        } catch {
            await supervisor?.stop()
            throw error
        }
    }

    init(supervisor: NATSSupervisor?, connection: NATSConnection, telemetry: TelemetryIngest) {
        self.supervisor = supervisor
        self.connection = connection
        self.telemetry = telemetry
    }

    /// Call after agents enroll or are deleted, so their NATS users appear or go.
    public func agentsChanged() async {
        await supervisor?.agentsChanged()
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
