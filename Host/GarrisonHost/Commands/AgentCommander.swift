import Foundation
import Logging

/// The one way commands reach agents, for core routes and plugins alike. It chooses request
/// or fire-and-forget from the function (CommandCatalog), records the command in the agent's
/// history, queues it as a pending action when the agent is offline and the command can wait,
/// and writes the answer back into history.
public final class AgentCommander: Sendable {
    public struct Request: Sendable {
        public var agentID: String
        public var command: AgentCommand
        /// Nil: the function's default from the catalog.
        public var timeout: Duration?
        /// Record a history row of this type ("cmd_run", "script_run", "task_run", "command").
        public var history: HistoryNote?
        /// Offline agent and a command that can wait: store it as a pending action.
        public var queueIfOffline: Bool
        public var actionType: String
        public var details: JSON
        public var username: String
        public var notBefore: Date?
        /// Publish without waiting even when the function answers (plugins' agent_send).
        public var publishOnly = false
        /// A command whose outcome the agent reports later through a route that names a pending
        /// action (installwithchoco's chocoresult): the action is recorded first and its id sent
        /// in this top-level key. Nil: none.
        public var trackedActionKey: String?

        public init(
            agentID: String, command: AgentCommand, timeout: Duration? = nil, history: HistoryNote? = nil, queueIfOffline: Bool = false,
            actionType: String = "", details: JSON = [:], username: String, notBefore: Date? = nil
        ) {
            self.agentID = agentID
            self.command = command
            self.timeout = timeout
            self.history = history
            self.queueIfOffline = queueIfOffline
            self.actionType = actionType.isEmpty ? command.function : actionType
            self.details = details
            self.username = username
            self.notBefore = notBefore
        }
    }

    public struct HistoryNote: Sendable {
        public var type: String
        public var command: String
        public var scriptName: String
        /// Who asked, for plugins to match results to their runs ("bulk:42").
        public var origin: String
        /// Where the output goes besides history (AgentResultSinks): note, custom field.
        public var saveResult: JSON?

        public init(type: String, command: String = "", scriptName: String = "", origin: String = "", saveResult: JSON? = nil) {
            self.type = type
            self.command = command
            self.scriptName = scriptName
            self.origin = origin
            self.saveResult = saveResult
        }
    }

    public enum Outcome: Sendable, Equatable {
        case reply(MsgPackValue)
        /// Published; the function never answers.
        case sent
        case queued(pendingActionID: Int)
        case timeout
        case natsDown

        var isReply: Bool {
            if case .reply = self { return true }
            return false
        }
    }

    public struct Result: Sendable {
        public let outcome: Outcome
        public let historyID: Int?
        /// A tracked action the agent accepted (`trackedActionKey`).
        public var pendingActionID: Int? = nil
    }

    /// Functions whose history row the agent itself completes with histresult (docs/agent-protocol.md §7.8): the
    /// row's id travels in the command's `id`.
    static let reportsThroughHistResult: Set<String> = ["rawcmd", "runscript", "runscriptfull"]

    let pool: DatabasePool
    let bus: BusLink
    let events: EventBus
    let logger: Logger
    /// How long a pending action waits for its agent before it expires.
    let pendingLifetime: Duration
    /// Plugins' agent reply tags, consulted by telemetry ingestion.
    public let router = AgentMessageRouter()
    let history: AgentHistoryWriter

    public init(pool: DatabasePool, bus: BusLink, events: EventBus, pendingLifetime: Duration, logger: Logger) {
        self.pool = pool
        self.bus = bus
        self.events = events
        self.pendingLifetime = pendingLifetime
        self.logger = logger
        history = AgentHistoryWriter(pool: pool)
    }

    public func run(_ request: Request) async throws -> Result {
        var command = request.command
        let traits = CommandCatalog.traits(command.function)
        var historyID: Int?
        if let note = request.history {
            historyID = try await history.open(agentID: request.agentID, note: note, username: request.username)
            if Self.reportsThroughHistResult.contains(command.function), let historyID { command.set("id", .int(Int64(historyID))) }
        }
        if let key = request.trackedActionKey { return try await runTracked(request, command: command, key: key, historyID: historyID) }
        let deferred = request.notBefore.map { $0 > Date() } ?? false
        let wait: Bool
        if request.queueIfOffline, traits.queueable { wait = try await deferred ? true : !isOnline(request.agentID) } else { wait = false }
        if wait {
            let id = try await PendingActionStore.insert(
                pool, request: request, command: command, historyID: historyID,
                expiresAt: Date().addingTimeInterval(
                    pendingLifetime.seconds + (request.notBefore?.timeIntervalSinceNow ?? 0).clamped(min: 0)))
            if let historyID { try await history.finish(id: historyID, status: "queued", results: nil) }
            return Result(outcome: .queued(pendingActionID: id), historyID: historyID)
        }
        let outcome =
            request.publishOnly
            ? (bus.publish(agentID: request.agentID, command) ? .sent : .natsDown)
            : await send(command, to: request.agentID, timeout: request.timeout)
        if let historyID { try await history.record(pool, id: historyID, outcome: outcome, sink: request.history?.saveResult != nil) }
        return Result(outcome: outcome, historyID: historyID)
    }

    /// The action is stored (pending, already delivered, so the offline queue never sends it
    /// again), its id goes to the agent, and an agent that does not answer leaves nothing behind:
    /// the operator is told it could not be reached, as Tactical RMM does.
    func runTracked(_ request: Request, command: AgentCommand, key: String, historyID: Int?) async throws -> Result {
        var command = command
        let id = try await PendingActionStore.insertTracked(pool, request: request, command: command, historyID: historyID)
        command.set(key, .int(Int64(id)))
        let outcome = await send(command, to: request.agentID, timeout: request.timeout)
        if !outcome.isReply { try await PendingActionStore.delete(pool, id: id) }
        if let historyID { try await history.record(pool, id: historyID, outcome: outcome, sink: request.history?.saveResult != nil) }
        return Result(outcome: outcome, historyID: historyID, pendingActionID: outcome.isReply ? id : nil)
    }

    /// Sends without history or queueing: request/reply when the function answers.
    func send(_ command: AgentCommand, to agentID: String, timeout: Duration?) async -> Outcome {
        let traits = CommandCatalog.traits(command.function)
        guard traits.replies else { return bus.publish(agentID: agentID, command) ? .sent : .natsDown }
        let wait = timeout ?? .seconds(traits.defaultTimeout)
        switch await bus.request(agentID: agentID, command, timeout: wait) {
        case .reply(let bytes):
            // An answer that is not msgpack is still an answer; keep it as text.
            return .reply((try? MsgPackDecoder.decode(bytes)) ?? .string(String(decoding: bytes, as: UTF8.self)))
        case .timeout: return .timeout
        case .natsDown: return .natsDown
        }
    }

    func agentExists(_ agentID: String) async throws -> Bool {
        try await pool.query("SELECT 1 FROM agents WHERE agent_id = $1", [agentID]).first != nil
    }

    func isOnline(_ agentID: String) async throws -> Bool {
        try await pool.query("SELECT (\(AgentQueries.status)) = 'online' AS online FROM agents a WHERE a.agent_id = $1", [agentID]).first?
            .bool("online") ?? false
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension Double {
    func clamped(min lower: Double) -> Double { Swift.max(self, lower) }
}
