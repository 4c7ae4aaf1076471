import Foundation
import Logging
import NIOPosix

/// What route handlers and services share: storage, auth, audit, settings. One per host.
public final class HostContext: Sendable {
    public let pool: DatabasePool
    public let authenticator: Authenticator
    public let audit: AuditLog
    public let throttle: LoginThrottle
    public let loginHooks: LoginHooks
    /// Members of the operator's agent object that plugins provide (Inventory/AgentMembers.swift).
    public let agentMembers: AgentMembers
    /// In-process events ("agent.online") for plugins and core code alike.
    public let events: EventBus
    public let hasher: PasswordHasher
    public let metrics: MetricsRegistry
    public let logger: Logger
    public let tokenTTL: Duration
    public let startedAt = Date()
    /// Slow, CPU-bound work (the password KDF) runs here, off Swift's cooperative threads.
    public let blocking: NIOThreadPool

    public init(
        pool: DatabasePool, hasher: PasswordHasher, throttleLimits: LoginThrottle.Limits, tokenTTL: Duration, metrics: MetricsRegistry,
        logger: Logger
    ) {
        self.pool = pool
        self.authenticator = Authenticator(pool: pool)
        self.audit = AuditLog(pool: pool, logger: logger)
        self.throttle = LoginThrottle(limits: throttleLimits)
        self.loginHooks = LoginHooks()
        self.agentMembers = AgentMembers()
        self.events = EventBus(logger: logger)
        self.hasher = hasher
        self.metrics = metrics
        self.logger = logger
        self.tokenTTL = tokenTTL
        self.blocking = NIOThreadPool(numberOfThreads: 2)
        self.blocking.start()
    }

    public func shutdown() async {
        events.close()
        try? await blocking.shutdownGracefully()
    }

    /// Records an audit entry for `call`'s caller; failures are logged, never surfaced, so
    /// that an audit hiccup cannot turn a completed change into an error for the operator.
    public func audit(
        _ call: Call, _ action: AuditLog.Action, _ objectType: String, _ message: String, before: JSON? = nil, after: JSON? = nil,
        agentID: String? = nil, agentHostname: String? = nil
    ) async {
        let entry = AuditLog.Entry(
            username: call.principal?.name ?? "anonymous", action: action, objectType: objectType, message: message, before: before,
            after: after, agentHostname: agentHostname, agentID: agentID, sourceIP: call.sourceIP)
        do { try await audit.record(entry) } catch {
            logger.error("audit write failed", metadata: ["error": "\(error)", "message": "\(message)"])
        }
    }
}
