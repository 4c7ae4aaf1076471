import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Consumes what agents publish on their own subjects (docs/agent-protocol.md §5): checks
/// and decodes each message on the libnats delivery thread, queues it, and a writer task
/// flushes the queue in batches -- after `window`, or at once when `maxBatch` messages wait
/// -- with one UPDATE per batch. Telemetry comes in bursts (every agent reconnecting after a
/// restart sends six messages within seconds), so per-message statements would not keep up.
public final class TelemetryIngest: Sendable {
    public struct Settings: Sendable {
        public var window: Duration = .milliseconds(5)
        public var maxBatch = 1000
        /// Batches written at once while a backlog waits: one statement at a time leaves
        /// PostgreSQL idle between round trips. Rows are locked in id order, so two
        /// batches touching the same agents wait for each other instead of deadlocking.
        public var writers = 2
        /// Beyond this many queued messages (the database is far behind), new ones are dropped.
        public var maxQueued = 200_000
        public init() {}
    }

    /// Counters for tests and metrics.
    public struct Counts: Sendable, Equatable {
        public var accepted = 0
        public var rejected = 0
        public var dropped = 0
        public var written = 0
    }

    /// Messages on an agent subject whose reply is not one of these are not telemetry (the
    /// host's own requests to agents, for instance) and are ignored silently.
    static let kinds: [String: AgentTelemetry.Kind] = Dictionary(
        uniqueKeysWithValues: AgentTelemetry.Kind.allCases.map { ($0.rawValue, $0) })

    /// A ring buffer: taking a batch off the front of a deep backlog moves nothing else.
    private let queue = NIOLockedValueBox(CircularBuffer<AgentTelemetry>())
    private let counts = NIOLockedValueBox(Counts())
    private let doorbell = Doorbell()
    private let settings: Settings
    private let pool: DatabasePool
    private let events: EventBus
    private let logger: Logger
    private let badMessages: RateLimitedLog
    private let writer = NIOLockedValueBox<Task<Void, Never>?>(nil)
    private let router: AgentMessageRouter

    public init(
        pool: DatabasePool, events: EventBus, router: AgentMessageRouter = AgentMessageRouter(), settings: Settings = Settings(),
        logger: Logger
    ) {
        self.pool = pool
        self.router = router
        self.events = events
        self.settings = settings
        self.logger = logger
        self.badMessages = RateLimitedLog(logger: logger)
    }

    public var currentCounts: Counts { counts.withLockedValue { $0 } }

    /// Subscribes to every agent subject (one token: agent replies go to multi-token inboxes
    /// and are not seen here) in a queue group, so several hosts on one bus share the work.
    public func start(on connection: NATSConnection) throws {
        writer.withLockedValue { task in
            guard task == nil else { return }
            task = Task { await self.writeLoop() }
        }
        try connection.subscribe("*", queue: "garrison-telemetry") { [self] message in receive(message) }
    }

    /// Writes what is queued, then ends the writer.
    public func stop() async {
        let task = writer.withLockedValue { task -> Task<Void, Never>? in
            defer { task = nil }; return task
        }
        task?.cancel()
        doorbell.ring()
        await task?.value
        await flush()
    }

    func receive(_ message: NATSMessage) {
        guard let tag = message.reply else { return }
        guard let kind = Self.kinds[tag] else {
            if let handler = router.handler(for: tag) { route(message, tag: tag, to: handler) }
            return
        }
        let telemetry: AgentTelemetry
        do {
            telemetry = try AgentTelemetry.decode(kind: kind, try MsgPackDecoder.decode(message.data))
        } catch {
            reject("undecodable agent telemetry dropped", message, reason: "\(error)")
            return
        }
        // The subject is what nats-server allowed this user to publish on; the payload's
        // agent_id is only what the sender claims.
        guard telemetry.agentID == message.subject else {
            reject("agent telemetry for another agent dropped", message, reason: "payload agent_id \(telemetry.agentID.prefix(64))")
            return
        }
        let (accepted, queued) = queue.withLockedValue { queue -> (Bool, Int) in
            guard queue.count < settings.maxQueued else { return (false, queue.count) }
            queue.append(telemetry)
            return (true, queue.count)
        }
        counts.withLockedValue { accepted ? ($0.accepted += 1) : ($0.dropped += 1) }
        if !accepted {
            badMessages.warning("telemetry queue full; message dropped", metadata: ["queued": "\(queued)"])
        } else if queued == 1 || queued >= settings.maxBatch {
            doorbell.ring()
        }
    }

    /// A plugin's tag: the same checks as telemetry (decodable, agent_id is the subject), then
    /// the plugin gets it as JSON.
    private func route(_ message: NATSMessage, tag: String, to handler: AgentMessageRouter.Handler) {
        guard let value = try? MsgPackDecoder.decode(message.data), case .object(let object) = value.json else {
            reject("undecodable agent message dropped", message, reason: "not a msgpack map")
            return
        }
        guard object["agent_id"]?.stringValue == message.subject else {
            reject("agent message for another agent dropped", message, reason: "payload agent_id is missing or not the subject")
            return
        }
        counts.withLockedValue { $0.accepted += 1 }
        handler(message.subject, tag, JSON.object(object).databaseText)
    }

    private func reject(_ what: Logger.Message, _ message: NATSMessage, reason: String) {
        counts.withLockedValue { $0.rejected += 1 }
        badMessages.warning(
            what, metadata: ["subject": "\(message.subject.prefix(64))", "kind": "\(message.reply ?? "")", "reason": "\(reason)"])
    }

    private func writeLoop() async {
        while !Task.isCancelled {
            await doorbell.wait(timeout: .seconds(1))
            let waiting = queue.withLockedValue { $0.count }
            guard waiting > 0 else { continue }
            // Let a burst gather unless a full batch is already waiting.
            if waiting < settings.maxBatch { try? await Task.sleep(for: settings.window) }
            await flush()
        }
    }

    private func flush() async {
        await withTaskGroup(of: Void.self) { writers in
            for _ in 0..<max(1, settings.writers) {
                writers.addTask { await self.writeBatches() }
            }
        }
    }

    /// Takes batches off the queue and writes them until it is empty.
    private func writeBatches() async {
        while true {
            let taken = queue.withLockedValue { queue -> [AgentTelemetry] in
                let count = min(queue.count, settings.maxBatch)
                defer { queue.removeFirst(count) }
                return Array(queue.prefix(count))
            }
            guard !taken.isEmpty else { return }
            var batch = TelemetryBatch()
            for telemetry in taken { batch.add(telemetry) }
            await write(batch)
        }
    }

    private func write(_ batch: TelemetryBatch) async {
        do {
            announce(try await TelemetryWriter.write(batch.rows, pool: pool))
            counts.withLockedValue { $0.written += batch.messages }
        } catch {
            // One bad row must not lose the others: try them one by one.
            logger.warning(
                "telemetry batch failed; writing its agents one by one", metadata: ["agents": "\(batch.rows.count)", "error": "\(error)"])
            for row in batch.rows {
                do {
                    announce(try await TelemetryWriter.write([row], pool: pool))
                    counts.withLockedValue { $0.written += 1 }
                } catch {
                    badMessages.warning("agent telemetry not written", metadata: ["agent_id": "\(row.agentID)", "error": "\(error)"])
                }
            }
        }
    }

    private func announce(_ online: [String]) {
        for agentID in online { events.publish("agent.online", ["agent_id": .string(agentID)]) }
    }
}
