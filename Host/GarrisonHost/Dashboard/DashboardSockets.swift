import Foundation
import HTTPTypes
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket
import Prometheus

/// The dashboard's websockets (Tactical RMM's `/ws/dashinfo/`, Daphne's role): who may open
/// one, the open sockets, and what is pushed to them. The listener's sniffer hands over a
/// connection whose request is `GET /ws/...` with `Upgrade: websocket`; everything after the
/// handshake runs on that connection's event loop (DashboardSocketHandler).
///
/// - Authentication as Tactical RMM's: the knox token in `?access_token=`; API keys do not
///   work here. No, an unknown or an expired token: the socket is accepted and closed with
///   4401 and the reason (Tactical RMM refuses the handshake; a browser cannot read why).
///   A token limited to one step (two-factor enrollment, an installer) closes with 4403.
/// - Per operator at most `server.max_websockets_per_user` sockets (4429 beyond that);
///   one silent for `server.websocket_idle_timeout_seconds` closes with 4408. The server
///   pings every push interval and browsers answer pongs on their own.
/// - Pushed: `dashboard.agentcount` at once, every 30 s, and within `debounce` of any agent
///   event; Garrison's `agents.status` (`{"agent_id","status"}`) for each agent whose status
///   changed, only to operators whose scope holds it. The token is checked again at every
///   push: a token revoked or expired meanwhile closes the socket (4401).
/// - A reader too slow to take what is pushed (its socket not writable) loses messages:
///   each is a whole state, and the next one supersedes it, so the host keeps no queue.
/// - Frames from the client: text that is not JSON answers an error frame and the socket
///   stays open; binary frames likewise; JSON is ignored, as Tactical RMM's consumer does.
public final class DashboardSockets: Sendable {
    public struct Settings: Sendable {
        public var perUser = 20
        public var idleTimeout: Duration = .seconds(90)
        /// Tactical RMM's DashInfo interval.
        public var pushInterval: Duration = .seconds(30)
        public var debounce: Duration = .milliseconds(150)
        public init() {}
    }

    enum Admission: Sendable {
        case accept(OperatorIdentity, token: String)
        case close(code: UInt16, reason: String)
        /// Not a socket this server offers: an HTTP answer instead of the upgrade.
        case refuse(status: HTTPResponse.Status, detail: String)
    }

    struct State {
        var sessions: [UInt64: DashboardSocketSession] = [:]
        var nextID: UInt64 = 0
        var changedAgents: Set<String> = []
        var flushScheduled = false
        var ticker: Task<Void, Never>?
        var stopped = false
    }

    let authenticator: Authenticator
    let pool: DatabasePool
    let settings: Settings
    let logger: Logger
    /// When the listener's certificate expires (for Tactical RMM's `days_until_cert_expires`);
    /// nil when unknown (plain HTTP behind a proxy): 0 days is sent then.
    private let expiry = NIOLockedValueBox<Date?>(nil)
    var certificateExpiry: Date? {
        get { expiry.withLockedValue { $0 } }
        set { expiry.withLockedValue { $0 = newValue } }
    }
    private let state = NIOLockedValueBox(State())
    let openGauge: Prometheus.Gauge?
    let dropped: Prometheus.Counter?

    init(
        authenticator: Authenticator, pool: DatabasePool, events: EventBus, settings: Settings, metrics: MetricsRegistry?,
        logger: Logger
    ) {
        self.authenticator = authenticator
        self.pool = pool
        self.settings = settings
        self.logger = logger
        openGauge = metrics?.registry.makeGauge(name: "garrison_dashboard_sockets_open", labels: [], help: "dashboard websockets open now")
        dropped = metrics?.registry.makeCounter(
            name: "garrison_dashboard_socket_messages_dropped_total", labels: [],
            help: "messages not sent to a dashboard websocket whose reader was too slow")
        events.subscribe(owner: "core.dashboard", pattern: "agent.*") { [weak self] event in self?.agentEvent(event) }
    }

    // MARK: admission

    static let paths: Set<String> = ["/ws/dashinfo/", "/ws/dashinfo"]

    func admit(_ request: DashboardSocketRequest) async -> Admission {
        guard Self.paths.contains(request.path) else {
            return .refuse(status: .notFound, detail: "Not found: no websocket at \(request.path). This server serves /ws/dashinfo/.")
        }
        guard request.isValidHandshake else {
            return .refuse(
                status: .badRequest,
                detail: "Not a websocket handshake: send Sec-WebSocket-Version: 13 and a Sec-WebSocket-Key of 16 bytes in base64.")
        }
        guard let token = request.token else { return .close(code: 4401, reason: "Authentication credentials were not provided.") }
        return await check(token)
    }

    func check(_ token: String) async -> Admission {
        var headers = HTTPFields()
        headers[.authorization] = "Token \(token)"
        let principal: Principal?
        do {
            principal = try await authenticator.authenticate(headers, access: .authenticated)
        } catch {
            logger.warning("dashboard socket: token check failed", metadata: ["error": "\(error)"])
            return .close(code: 1011, reason: "The server could not check the token; try again.")
        }
        guard case .user(let user) = principal, !user.viaAPIKey else { return .close(code: 4401, reason: "Invalid token.") }
        if let scope = user.limitedScope {
            return .close(code: 4403, reason: "This token is limited to '\(scope)'. Finish that step, then sign in again.")
        }
        return .accept(user, token: token)
    }

    // MARK: sessions

    /// Adds an accepted socket; false when its operator already holds the most allowed.
    func register(_ session: DashboardSocketSession) -> Bool {
        let added: Bool = state.withLockedValue { state in
            guard !state.stopped else { return false }
            let open = state.sessions.values.filter { $0.user.id == session.user.id }.count
            guard open < settings.perUser else { return false }
            state.sessions[session.id] = session
            if state.ticker == nil { state.ticker = Task { [weak self] in await self?.tick() } }
            return true
        }
        if added {
            openGauge?.increment()
            Task { await self.pushCounts(to: [session]) }
        }
        return added
    }

    func unregister(_ id: UInt64) {
        let removed = state.withLockedValue { $0.sessions.removeValue(forKey: id) }
        if removed != nil { openGauge?.decrement() }
    }

    func nextSessionID() -> UInt64 { state.withLockedValue { $0.nextID += 1; return $0.nextID } }

    /// Sockets open now (the benchmark reads it).
    public var openCount: Int { state.withLockedValue { $0.sessions.count } }

    func shutdown() {
        let (sessions, ticker) = state.withLockedValue { state in
            state.stopped = true
            defer { state.sessions = [:]; state.ticker = nil }
            return (Array(state.sessions.values), state.ticker)
        }
        ticker?.cancel()
        for session in sessions { session.close(code: 1001, reason: "The server is shutting down.") }
    }

    private var sessions: [DashboardSocketSession] { state.withLockedValue { Array($0.sessions.values) } }

    /// Every push interval: ping, close the silent, recheck tokens, push the counts.
    private func tick() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: settings.pushInterval)
            if Task.isCancelled { return }
            var live: [DashboardSocketSession] = []
            for session in sessions {
                if session.silentFor > settings.idleTimeout {
                    session.close(code: 4408, reason: "Idle timeout: nothing received for \(settings.idleTimeout.components.seconds) s.")
                    continue
                }
                guard case .accept = await check(session.token) else {
                    session.close(code: 4401, reason: "The token has expired or was revoked; sign in again.")
                    continue
                }
                session.ping()
                live.append(session)
            }
            await pushCounts(to: live)
        }
    }

    // MARK: pushes

    private func agentEvent(_ event: EventBus.Event) {
        guard let agentID = (try? JSON.parse(Data(event.json.utf8)))?["agent_id"]?.stringValue else { return }
        let schedule: Bool = state.withLockedValue { state in
            guard !state.sessions.isEmpty else { return false }
            state.changedAgents.insert(agentID)
            defer { state.flushScheduled = true }
            return !state.flushScheduled
        }
        guard schedule else { return }
        Task {
            try? await Task.sleep(for: settings.debounce)
            await flushChanges()
        }
    }

    /// Sends each changed agent's status to the sockets whose scope holds it, then new counts.
    func flushChanges() async {
        let (agents, sessions) = state.withLockedValue { state in
            defer { state.changedAgents = []; state.flushScheduled = false }
            return (Array(state.changedAgents), Array(state.sessions.values))
        }
        guard !sessions.isEmpty else { return }
        if !agents.isEmpty {
            do {
                let rows = try await pool.query(
                    "SELECT a.agent_id, a.client_id, a.site_id, \(AgentQueries.status) AS status FROM agents a WHERE a.agent_id = ANY($1::text[])",
                    [PGArray.literal(agents)]
                ).rows
                for row in rows {
                    let text = JSON.object([
                        "action": "agents.status",
                        "data": ["agent_id": .string(row.string("agent_id")), "status": .string(row.string("status"))],
                    ]).databaseText
                    for session in sessions where session.user.scope.allows(clientID: row.int("client_id"), siteID: row.int("site_id")) {
                        session.send(text)
                    }
                }
            } catch {
                logger.warning("dashboard socket: agent status query failed", metadata: ["error": "\(error)"])
            }
        }
        await pushCounts(to: sessions)
    }

    /// One counts query per distinct scope among `sessions`.
    func pushCounts(to sessions: [DashboardSocketSession]) async {
        struct Key: Hashable { let clients: Set<Int>, sites: Set<Int> }
        var byScope: [Key: [DashboardSocketSession]] = [:]
        for session in sessions { byScope[Key(clients: session.user.scope.clients, sites: session.user.scope.sites), default: []].append(session) }
        for members in byScope.values {
            guard let text = await countsMessage(members[0].user.scope) else { continue }
            for session in members { session.send(text) }
        }
    }

    /// Tactical RMM's `dashboard.agentcount`: the scope's agents by type, and those offline
    /// (last seen longer ago than their own offline time; never seen is not offline).
    func countsMessage(_ scope: ObjectScope) async -> String? {
        var sql = """
            SELECT count(*) FILTER (WHERE a.monitoring_type = 'server') AS servers,
                   count(*) FILTER (WHERE a.monitoring_type <> 'server') AS workstations,
                   count(*) FILTER (WHERE a.monitoring_type = 'server' AND \(Self.offline)) AS servers_offline,
                   count(*) FILTER (WHERE a.monitoring_type <> 'server' AND \(Self.offline)) AS workstations_offline
            FROM agents a
            """
        var params: [String?] = []
        if let condition = scope.sqlCondition(siteColumn: "a.site_id", clientColumn: "a.client_id", nextParameter: 1) {
            sql += " WHERE \(condition.sql)"
            params = condition.params
        }
        do {
            guard let row = try await pool.query(sql, params).first else { return nil }
            let days = certificateExpiry.map { Int(($0.timeIntervalSinceNow / 86400).rounded(.down)) } ?? 0
            return JSON.object([
                "action": "dashboard.agentcount",
                "data": [
                    "total_server_offline_count": .init(row.int("servers_offline")),
                    "total_workstation_offline_count": .init(row.int("workstations_offline")),
                    "total_server_count": .init(row.int("servers")), "total_workstation_count": .init(row.int("workstations")),
                    "days_until_cert_expires": .init(days),
                ],
            ]).databaseText
        } catch {
            // Tactical RMM sends nothing that round.
            logger.warning("dashboard socket: counts query failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    static let offline = AgentPresence.quietSQL
}

/// One accepted dashboard websocket. Writes go through its handler's context on the
/// connection's event loop (the HTTP handlers behind it must never see a frame).
final class DashboardSocketSession: Sendable {
    let id: UInt64
    let user: OperatorIdentity
    let token: String
    let channel: any Channel
    private let context: NIOLoopBound<ChannelHandlerContext>
    private let lastReceived = NIOLockedValueBox(ContinuousClock.now)
    private let dropped: Prometheus.Counter?

    init(id: UInt64, user: OperatorIdentity, token: String, context: ChannelHandlerContext, dropped: Prometheus.Counter?) {
        self.id = id
        self.user = user
        self.token = token
        self.channel = context.channel
        self.context = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.dropped = dropped
    }

    func touch() { lastReceived.withLockedValue { $0 = .now } }
    var silentFor: Duration { ContinuousClock.now - lastReceived.withLockedValue { $0 } }

    /// Sends a text frame, or drops it when the reader is not keeping up.
    @discardableResult
    func send(_ text: String) -> Bool {
        guard channel.isActive else { return false }
        guard channel.isWritable else {
            dropped?.increment()
            return false
        }
        write(.text, text)
        return true
    }

    func ping() { write(.ping, "") }

    func close(code: UInt16, reason: String) {
        let context = self.context
        channel.eventLoop.execute {
            DashboardSocketHandler.close(context.value, code: code, reason: reason)
        }
    }

    private func write(_ opcode: WebSocketOpcode, _ text: String) {
        let context = self.context
        channel.eventLoop.execute {
            let context = context.value
            let frame = WebSocketFrame(fin: true, opcode: opcode, data: context.channel.allocator.buffer(string: text))
            context.writeAndFlush(NIOAny(frame), promise: nil)
        }
    }
}

/// The last handler of an upgraded dashboard connection: reads the client's frames, answers
/// pings and closes, and registers the socket with the hub.
final class DashboardSocketHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let hub: DashboardSockets
    private let admission: DashboardSockets.Admission
    private var session: DashboardSocketSession?

    init(hub: DashboardSockets, admission: DashboardSockets.Admission) {
        self.hub = hub
        self.admission = admission
    }

    /// Sent by the sniffer once every websocket handler is in the pipeline.
    struct Start {}

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is Start else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        switch admission {
        case .accept(let user, let token):
            let session = DashboardSocketSession(id: hub.nextSessionID(), user: user, token: token, context: context, dropped: hub.dropped)
            if hub.register(session) {
                self.session = session
            } else {
                Self.close(
                    context, code: 4429,
                    reason: "Too many open websockets for this user (limit \(hub.settings.perUser)); close another dashboard.")
            }
        case .close(let code, let reason):
            Self.close(context, code: code, reason: reason)
        case .refuse:
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        session?.touch()
        switch frame.opcode {
        case .text:
            var data = frame.unmaskedData
            let bytes = data.readBytes(length: data.readableBytes) ?? []
            if (try? JSON.parse(Data(bytes))) == nil {
                error(context, "Messages must be JSON text; this one is not. The socket stays open.")
            }
        case .binary:
            error(context, "Binary frames are not accepted; send JSON text.")
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            var data = frame.unmaskedData
            let code = data.readInteger(as: UInt16.self) ?? 1000
            Self.close(context, code: code == 1005 ? 1000 : code, reason: "")
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let session { hub.unregister(session.id) }
        session = nil
        context.fireChannelInactive()
    }

    private func error(_ context: ChannelHandlerContext, _ text: String) {
        let body = JSON.object(["error": .string(text), "status": 400]).databaseText
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: context.channel.allocator.buffer(string: body))), promise: nil)
    }

    /// Sends a close frame with `code` and `reason` (cut to the 123 bytes a close frame
    /// holds), then closes the connection.
    static func close(_ context: ChannelHandlerContext, code: UInt16, reason: String) {
        guard context.channel.isActive else { return }
        var data = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        data.writeInteger(code)
        data.writeBytes(reason.utf8.prefix(123))
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
        context.writeAndFlush(NIOAny(frame)).whenComplete { _ in context.close(promise: nil) }
    }
}
