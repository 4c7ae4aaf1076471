import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// Many emulated agents in one process: one event loop group, every connection a channel on
/// it, no task or thread per agent. Connects are paced (a host restarted under thousands of
/// agents sees them return over seconds, not in one instant) and bounded in flight.
public final class AgentFleet: Sendable {
    public struct Settings: Sendable {
        public var target: NATSWebSocketTarget
        public var helloInterval: TimeAmount = .seconds(30)
        /// New connects started per second.
        public var connectsPerSecond = 500
        /// Connects (TLS + upgrade + CONNECT) under way at once.
        public var maxInFlight = 200
        /// Publish the six startup messages after connecting, as an agent's service start does.
        public var sendStartup = false

        public init(target: NATSWebSocketTarget) { self.target = target }
    }

    public let stats = EmulatorStats()
    public let group: MultiThreadedEventLoopGroup
    private let settings: Settings
    private let tls: NIOSSLContext
    private let connections = NIOLockedValueBox<[AgentConnection]>([])
    private let logger: Logger

    public init(settings: Settings, threads: Int = System.coreCount, logger: Logger) throws {
        self.settings = settings
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        self.tls = try AgentConnection.tlsContext(verifyCertificate: settings.target.verifyCertificate)
        self.logger = logger
    }

    public var connected: [AgentConnection] { connections.withLockedValue { $0 } }

    /// Connects every agent; returns the failures (agent id and reason), after all were tried.
    public func connect(_ agents: [AgentIdentity]) async -> [(String, String)] {
        let failures = NIOLockedValueBox<[(String, String)]>([])
        let gap = Duration.nanoseconds(1_000_000_000 / max(1, settings.connectsPerSecond))
        var started = ContinuousClock.now
        await withTaskGroup(of: Void.self) { tasks in
            var inFlight = 0
            for agent in agents {
                if inFlight >= settings.maxInFlight {
                    await tasks.next()
                    inFlight -= 1
                }
                started += gap
                try? await Task.sleep(until: started, clock: .continuous)
                inFlight += 1
                tasks.addTask { [self] in
                    do {
                        let connection = try await connectOne(agent).get()
                        connections.withLockedValue { $0.append(connection) }
                    } catch {
                        stats.failedConnects.add(1, ordering: .relaxed)
                        failures.withLockedValue { $0.append((agent.agentID, "\(error)")) }
                    }
                }
            }
        }
        return failures.withLockedValue { $0 }
    }

    public func connectOne(_ agent: AgentIdentity) -> EventLoopFuture<AgentConnection> {
        AgentConnection.connect(
            agent, to: settings.target, tls: tls, on: group.next(), stats: stats,
            helloInterval: settings.helloInterval, sendStartup: settings.sendStartup)
    }

    public func setHelloInterval(_ interval: TimeAmount) {
        for connection in connected { connection.setHelloInterval(interval) }
    }

    public func shutdown() async {
        let all = connections.withLockedValue { all in
            defer { all = [] }; return all
        }
        for connection in all { connection.close() }
        try? await group.shutdownGracefully()
    }

    /// Enrolls `count` new agents through `POST /api/v3/newagent/` with an operator's
    /// credential (`Authorization: Token ...` or `X-API-KEY: ...`), a few at a time.
    public func enroll(_ count: Int, site: Int, host: String, port: Int, authorization: [(String, String)], concurrency: Int = 8)
        async throws -> [AgentIdentity]
    {
        var enrolled: [AgentIdentity] = []
        try await withThrowingTaskGroup(of: AgentIdentity.self) { tasks in
            var next = 0
            func start() {
                let id = AgentIdentity.newAgentID()
                tasks.addTask { [self] in
                    try await AgentREST.enroll(
                        id, hostname: "emu-\(id.prefix(8))", site: site, host: host, port: port, authorization: authorization,
                        tls: tls, on: group.next()
                    ).get()
                }
                next += 1
            }
            while next < min(count, concurrency) { start() }
            while let identity = try await tasks.next() {
                enrolled.append(identity)
                if next < count { start() }
            }
        }
        return enrolled
    }
}
