import Foundation
import Logging

/// Runs Debian's nats-server as a child with a generated config under the data folder (for
/// a host with no `nats.url`): restarts it with backoff when it dies, and rewrites the
/// config and signals a reload (SIGHUP) when agents enroll or leave. Decisions live in
/// `StateMachine`; this actor only carries them out.
public actor NATSSupervisor {
    public enum Event: Sendable, Equatable {
        case running(pid: Int32)
        case exited(pid: Int32)
        case reloaded(agents: Int)
    }

    public struct Settings: Sendable {
        public var directory: URL
        public var clientPort: Int
        public var websocketPort: Int
        public var tls: NATSServerConfig.TLS?
        /// With `tls`: refuse plain clients (the host must then connect with TLS; see
        /// `NATSServerConfig.requireTLS`).
        public var requireTLS = false
        public var readyTimeout: Duration = .seconds(15)
        /// Cluster mode: where this node takes routes and with which credentials; the routes
        /// themselves are read at every (re)start and reload (`routes`).
        public var cluster: NATSServerConfig.Cluster?
    }

    public nonisolated let settings: Settings
    public nonisolated let hostUser = "garrison-host"
    /// The host's own password, new at every start; only its hash is written to disk.
    public nonisolated let hostPassword = Crypto.randomHex(bytes: 24)
    public nonisolated let events: AsyncStream<Event>
    private let eventSink: AsyncStream<Event>.Continuation
    private let hostPasswordHash: String
    private let loadAgents: @Sendable () async throws -> [NATSServerConfig.AgentUser]
    private let loadRoutes: @Sendable () async throws -> [String]
    /// The newest config generation asked for (`apply`) and the newest in force.
    private var wantedGeneration: Int64 = 0
    private var appliedGeneration: Int64 = 0
    private var applying = false
    private let logger: Logger
    private var machine = StateMachine()
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []
    /// Held from start to stop: no second host runs a nats-server on the same folder.
    private var folderLock: DataFolderLock?

    var configFile: URL { settings.directory.appendingPathComponent("nats-server.json") }
    var logFile: URL { settings.directory.appendingPathComponent("nats-server.log") }
    var pidFile: URL { settings.directory.appendingPathComponent("nats-server.pid") }

    public nonisolated var url: String { "nats://127.0.0.1:\(settings.tls?.port ?? settings.clientPort)" }

    /// - Parameter agents: reads the agent users (id and bcrypt of the token) at every
    ///   (re)start and reload.
    public init(
        settings: Settings, logger: Logger, agents: @escaping @Sendable () async throws -> [NATSServerConfig.AgentUser],
        routes: @escaping @Sendable () async throws -> [String] = { [] }
    ) throws {
        self.settings = settings
        self.logger = logger
        self.loadAgents = agents
        self.loadRoutes = routes
        guard let hash = NATSPassword.hash(hostPassword) else { throw SubprocessError("bcrypt is not available in libcrypt") }
        self.hostPasswordHash = hash
        (events, eventSink) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingNewest(100))
    }

    /// Starts nats-server and returns once it accepts connections.
    public func start() async throws {
        _ = try Self.binary()
        try FileManager.default.createDirectory(at: settings.directory, withIntermediateDirectories: true)
        if folderLock == nil { folderLock = try DataFolderLock.acquire(settings.directory, what: "nats-server") }
        do {
            try stopStaleServer()
            try refuseTakenPorts()
        } catch {
            folderLock?.release()
            folderLock = nil
            throw error
        }
        await perform(machine.start())
        let deadline = ContinuousClock.now + settings.readyTimeout
        while ContinuousClock.now < deadline {
            if machine.runningPID != nil, ChildProcess.isListening(port: settings.tls?.port ?? settings.clientPort) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw SubprocessError("nats-server did not start; see \(logFile.path)")
    }

    /// Agents enrolled or were deleted: rewrite the config and reload the running server.
    public func agentsChanged() async {
        await perform(machine.agentsChanged())
    }

    /// Brings the node's config up to `generation` (a change another host announced, or this
    /// one made) and returns the generation now in force. Requests that arrive while a reload
    /// runs are served together by one more reload: a burst of enrollments costs two reloads,
    /// not one each. A node not running reads the database afresh when it is next spawned, so
    /// for it the generation counts as applied at once.
    @discardableResult
    public func apply(generation: Int64) async -> Int64 {
        wantedGeneration = max(wantedGeneration, generation)
        guard !applying else {
            while appliedGeneration < generation && applying { try? await Task.sleep(for: .milliseconds(5)) }
            return appliedGeneration
        }
        applying = true
        defer { applying = false }
        while appliedGeneration < wantedGeneration {
            let target = wantedGeneration
            await perform(machine.agentsChanged())
            appliedGeneration = target
        }
        return appliedGeneration
    }

    public var generationInForce: Int64 { appliedGeneration }

    /// Stops nats-server (SIGTERM, then SIGKILL after 5 s) and stops restarting it.
    public func stop() async {
        let action = machine.stop()
        guard case .terminate(let pid) = action else {
            await perform(action)
            return
        }
        await perform(action)
        let killer = Task {
            try await Task.sleep(for: .seconds(5))
            kill(pid, SIGKILL)
        }
        await withCheckedContinuation { stopWaiters.append($0) }
        killer.cancel()
        try? FileManager.default.removeItem(at: pidFile)
        folderLock?.release()
        folderLock = nil
        eventSink.finish()
    }

    private func perform(_ action: StateMachine.Action) async {
        switch action {
        case .none:
            break
        case .spawn:
            do {
                let agents = try await writeConfig()
                let pid = try ChildProcess.spawn(try Self.binary(), ["-c", configFile.path], logFile: logFile)
                try? String(pid).write(to: pidFile, atomically: true, encoding: .utf8)
                ChildProcess.watch(pid) { _ in Task { await self.childExited(pid) } }
                logger.info(
                    "nats-server started",
                    metadata: ["pid": "\(pid)", "port": "\(settings.tls?.port ?? settings.clientPort)", "agents": "\(agents)"])
                await perform(machine.spawned(pid: pid, at: .now))
                eventSink.yield(.running(pid: pid))
            } catch {
                logger.error("cannot start nats-server", metadata: ["error": "\(error)"])
                await perform(machine.spawnFailed())
            }
        case .restartAfter(let delay):
            logger.warning("restarting nats-server", metadata: ["after": "\(delay)"])
            Task {
                try? await Task.sleep(for: delay)
                await self.perform(self.machine.backoffElapsed())
            }
        case .reload(let pid):
            do {
                let agents = try await writeConfig()
                let logOffset = fileSize(logFile)
                kill(pid, SIGHUP)
                await awaitReload(after: logOffset)
                logger.info("nats-server reloaded", metadata: ["agents": "\(agents)"])
                eventSink.yield(.reloaded(agents: agents))
            } catch {
                // The server keeps its previous config: agents already connected stay.
                logger.error("nats-server config not reloaded", metadata: ["error": "\(error)"])
            }
        case .terminate(let pid):
            kill(pid, SIGTERM)
        }
    }

    private func childExited(_ pid: Int32) async {
        eventSink.yield(.exited(pid: pid))
        let wasStopping = machine.state == .stopping(pid: pid)
        let action = machine.exited(pid: pid, at: .now)
        if wasStopping {
            for waiter in stopWaiters { waiter.resume() }
            stopWaiters = []
        } else if action != .none {
            logger.error("nats-server exited", metadata: ["pid": "\(pid)", "log": "\(logFile.path)"])
        }
        await perform(action)
    }

    /// Renders the config, has nats-server check it (`-t`), then puts it in place. Returns
    /// the number of agent users written.
    private func writeConfig() async throws -> Int {
        let agents = try await loadAgents()
        var config = NATSServerConfig(
            clientPort: settings.clientPort, websocketPort: settings.websocketPort, tls: settings.tls,
            hostUser: hostUser, hostPasswordHash: hostPasswordHash, agents: agents)
        if var cluster = settings.cluster {
            cluster.routes = try await loadRoutes()
            config.cluster = cluster
        }
        config.requireTLS = settings.requireTLS
        let (json, skipped) = config.rendered()
        for agentID in skipped {
            logger.warning(
                "agent left out of the nats-server config: its id is not a plain subject token", metadata: ["agent_id": "\(agentID)"])
        }
        let candidate = settings.directory.appendingPathComponent("nats-server.next.json")
        try ChildProcess.writePrivately(json, to: candidate)
        let check = try Subprocess.run(try Self.binary(), ["-t", "-c", candidate.path])
        guard check.status == 0 else {
            throw SubprocessError(
                "nats-server refused the generated config: \(check.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        guard rename(candidate.path, configFile.path) == 0 else { throw SubprocessError("cannot replace \(configFile.path)") }
        return agents.count - skipped.count
    }

    /// SIGHUP returns before nats-server has read the file. The installer connects as the
    /// new agent right after enrolling, so wait (briefly) for the server's own word that the
    /// reload is done: its log line, written after the new users are in force.
    private func awaitReload(after offset: UInt64) async {
        let deadline = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < deadline {
            if let handle = try? FileHandle(forReadingFrom: logFile) {
                defer { try? handle.close() }
                try? handle.seek(toOffset: offset)
                if let data = try? handle.readToEnd(), String(decoding: data, as: UTF8.self).contains("Reloaded server configuration") {
                    return
                }
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        logger.warning("nats-server did not confirm the reload within 2 s", metadata: ["log": "\(logFile.path)"])
    }

    private func fileSize(_ url: URL) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// A host killed without stopping (SIGKILL, power loss) leaves its pid file behind, and
    /// its nats-server too if that was not spawned through `DieWithHost`. The folder lock is
    /// ours, so no live host owns that server: one running our config file is stopped; a pid
    /// that now belongs to any other process (or to nobody) only makes the file stale.
    private func stopStaleServer() throws {
        defer { try? FileManager.default.removeItem(at: pidFile) }
        guard let pid = ProcessProbe.pid(inFile: pidFile), ProcessProbe.isRunning(pid) else { return }
        guard let arguments = ProcessProbe.arguments(pid), arguments.contains(configFile.path) else {
            logger.notice("nats-server.pid names a process that is not this folder's nats-server; ignoring it", metadata: ["pid": "\(pid)"])
            return
        }
        logger.warning("stopping a nats-server left by an earlier run", metadata: ["pid": "\(pid)"])
        kill(pid, SIGKILL)
        guard ProcessProbe.waitForExit(pid, timeout: .seconds(5)) else {
            throw SubprocessError(
                "the nats-server left by an earlier run (pid \(pid)) does not exit after SIGKILL; stop it and start again")
        }
    }

    /// nats-server would fail on a taken port with a line in its own log only, and be
    /// restarted forever: say at once which port, and that something else holds it.
    private func refuseTakenPorts() throws {
        // With TLS the client listener moves to the TLS port; the plain client port is unused.
        let client = settings.tls.map { ("nats.tls_port", $0.port) } ?? ("nats.port", settings.clientPort)
        var ports = [client, ("nats.websocket_port", settings.websocketPort)]
        if let cluster = settings.cluster, cluster.host == "127.0.0.1" { ports.append(("nats.cluster_address", cluster.port)) }
        for (key, port) in ports where port > 0 && ChildProcess.isListening(port: port) {
            throw SubprocessError(
                "port \(port) (\(key)) is already in use by another process on 127.0.0.1; stop it, or set \(key) to a free port (0 picks one)"
            )
        }
    }

    static func binary() throws -> String {
        guard let path = Subprocess.which("nats-server", extraDirectories: ["/usr/sbin", "/usr/bin", "/usr/local/bin"]) else {
            throw SubprocessError("nats-server was not found; install Debian's nats-server package or set nats.url")
        }
        return path
    }
}

extension NATSSupervisor {
    /// The pid of the running nats-server, nil while it is (re)starting.
    public var runningPID: Int32? { machine.runningPID }
}
