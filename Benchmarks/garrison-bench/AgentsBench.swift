import AgentEmulator
import ArgumentParser
import Foundation
import GarrisonHost
import NIOConcurrencyHelpers

/// `garrison-bench agents`, with emulated agents over wss /natsws: the host (this process, TLS
/// listener, PostgreSQL and nats-server as its children) against garrison-agent-emulator
/// (a separate process next to this binary), all on this machine.
struct AgentsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents",
        abstract: "10,000 agents over wss /natsws: steady-state host CPU, telemetry ingest rate, ping round trip, command fan-out.")

    @Option(help: "Agents to connect (default 10,000, or what the open-file limit allows: the host holds two descriptors per agent).")
    var agents: Int?
    @Option(help: "Agents enrolled through POST /api/v3/newagent/ by the emulator (the rest are seeded in the database).") var enrolled = 20
    @Option(help: "Seconds between each agent's hello in steady state.") var helloInterval: Double = 30
    @Option(help: "Seconds of steady state to measure CPU over.") var steadySeconds = 60
    @Option(help: "Offered telemetry rates (messages/s) to step through.") var ingestRates = "10000,20000,30000,40000"
    @Option(help: "Seconds per ingest step.") var ingestSeconds = 10
    @Option(help: "Rates (messages/s) of hellos published straight to nats-server, without the websocket path.") var directRates =
        "20000,40000"
    @Option(help: "Seconds of the ping run.") var pingSeconds = 10
    @Option(help: "New agent connections per second.") var connectRate = 400

    func run() async throws {
        let limit = FileLimit.raiseToHard()
        let count = agents ?? min(10_000, (limit - 200) / 2)
        let emulatorPath = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "garrison-agent-emulator"
        ).path
        guard FileManager.default.isExecutableFile(atPath: emulatorPath) else {
            throw BenchError(
                "build garrison-agent-emulator next to garrison-bench first: swift build -c release --product garrison-agent-emulator")
        }
        print(
            "garrison-bench agents: \(count) agents over wss /natsws (open-file limit \(limit)), 2 cores shared by host, PostgreSQL, nats-server and the emulator"
        )
        // Every emulated agent connects from 127.0.0.1, so the per-address cap must admit them
        // all (a real fleet comes from many addresses, or a NAT's few).
        // Ping is served by the agent_actions plugin.
        let actions = try BenchHost.builtPlugin("AgentActionsPlugin")
        let host = try await BenchHost.start {
            $0.natsEnabled = true; $0.databasePoolSize = 8; $0.maxConnectionsPerAddress = count + 1000
            try? BenchHost.enable(actions, file: "45-agent-actions.toml", rest: "enabled = true\nrequired = true\n", in: $0.pluginsDirectory)
        }
        defer { host.database.stop() }
        let bus = try require(host.server.bus, "bus")
        let natsPID = await bus.supervisor?.runningPID
        let nats = try require(natsPID, "nats-server pid")
        let pool = host.server.storage.pool

        // Seeded agents: rows and NATS users written directly (10,000 enrollments would be
        // 10,000 nats-server reloads), then one reload.
        try await pool.query("INSERT INTO clients (name) VALUES ('bench')")
        try await pool.query("INSERT INTO sites (client_id, name) SELECT id, 'bench' FROM clients WHERE name = 'bench'")
        let site = try await pool.query("SELECT id FROM sites WHERE name = 'bench'").first!.int("id")
        let seeded = max(0, count - enrolled)
        let seedStart = ContinuousClock.now
        let identities = try await seed(seeded, site: site, pool: pool)
        await bus.agentsChanged()
        print(
            String(
                format: "seeded %d agents (bcrypt NATS passwords, one reload) in %.1f s", seeded, (ContinuousClock.now - seedStart).seconds)
        )
        let folder = host.database.root
        let identityFile = folder.appendingPathComponent("agents.txt")
        try identities.map { "\($0.0) \($0.1)\n" }.joined().write(to: identityFile, atomically: true, encoding: .utf8)
        let lua = folder.appendingPathComponent("ping.lua")
        try """
        ids = {}
        for line in io.lines("\(identityFile.path)") do ids[#ids + 1] = line:match("^(%S+)") end
        request = function() return wrk.format("GET", "/agents/" .. ids[math.random(#ids)] .. "/ping/") end
        """.write(to: lua, atomically: true, encoding: .utf8)

        // The emulator: enrolls the rest over REST, then connects everyone.
        let port = URL(string: host.base)!.port!
        let emulator = try EmulatorProcess.start(
            emulatorPath,
            [
                "--server", host.base, "--agents", String(count), "--identities", identityFile.path, "--token", host.token, "--site",
                String(site),
                "--hello-interval", String(helloInterval), "--connect-rate", String(connectRate), "--report", "5",
            ], log: URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("garrison-bench-agents-emulator.log"))
        defer { emulator.stop() }
        let connectStart = ContinuousClock.now
        let connectedLine = try await emulator.waitFor("connected ", timeout: .seconds(600))
        print("emulator: \(connectedLine) (wss://127.0.0.1:\(port)/natsws)")
        print(
            String(format: "all agents connected after %.1f s (paced at %d/s)", (ContinuousClock.now - connectStart).seconds, connectRate))

        // Steady state: hellos every helloInterval; let the connect burst settle first.
        try await Task.sleep(for: .seconds(10))
        let before = bus.telemetry.currentCounts
        let cores = try await ProcessCPU.cores([getpid(), nats, emulator.pid], over: .seconds(steadySeconds))
        let after = bus.telemetry.currentCounts
        print(
            String(
                format:
                    "steady state, %d agents, hello every %.0f s: host %.3f cores (%.1f%% of one), nats-server %.3f, emulator %.3f; hellos written %.0f/s over %d s",
                count, helloInterval, cores[0], cores[0] * 100, cores[1], cores[2],
                Double(after.written - before.written) / Double(steadySeconds), steadySeconds))

        // Ping round trip through the operator route, one request at a time over keep-alive TLS.
        let sample = identities.prefix(50).map(\.0)
        var online = 0
        for agent in sample
        where await bus.connection.request(agent, AgentCommand("ping").encoded(), timeout: .seconds(2))
            == .reply(MsgPackEncoder.encode("pong"))
        { online += 1 }
        let ping = try WrkResult.run(
            url: "\(host.base)/", token: host.token, threads: 1, connections: 1, seconds: pingSeconds, script: lua.path)
        print(
            String(
                format:
                    "GET /agents/<random of %d>/ping/ -> agent -> back: %.0f req/s, p50 %@, p99 %@ (wrk -t1 -c1, keep-alive TLS), non-2xx %d; %d/%d sampled agents answered pong",
                count, ping.requestsPerSecond, ping.p50, ping.p99, ping.non2xx, online, sample.count))
        let ping4 = try WrkResult.run(
            url: "\(host.base)/", token: host.token, threads: 1, connections: 4, seconds: pingSeconds, script: lua.path)
        print(String(format: "  same with 4 connections: %.0f req/s, p50 %@, p99 %@", ping4.requestsPerSecond, ping4.p50, ping4.p99))

        let baseline = try WrkResult.run(
            url: "\(host.base)/core/version/", token: host.token, threads: 1, connections: 1, seconds: pingSeconds)
        print(
            String(
                format: "  baseline without NATS, GET /core/version/: p50 %@, p99 %@ (wrk -t1 -c1); load average now %@",
                baseline.p50, baseline.p99,
                (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ")
                    ?? "?"))

        // Fan-out: one ping to every agent (seeded and enrolled) through the host's bus
        // connection, replies to one inbox.
        let everyone = AgentIdentity.parseLines(try String(contentsOf: identityFile, encoding: .utf8)).map(\.agentID)
        try await fanOut(bus: bus, agents: everyone)

        // Ingest: raise every agent's hello rate step by step.
        for rate in ingestRates.split(separator: ",").compactMap({ Int($0) }) {
            let interval = Double(count) / Double(rate)
            emulator.send("hello-interval \(interval)")
            try await Task.sleep(for: .seconds(3))
            let start = bus.telemetry.currentCounts
            let cpu = try await ProcessCPU.cores([getpid(), nats, emulator.pid], over: .seconds(ingestSeconds))
            let end = bus.telemetry.currentCounts
            let seconds = Double(ingestSeconds)
            print(
                String(
                    format:
                        "ingest over wss, offered %d msgs/s: received %.0f/s, written %.0f/s, dropped %d, rejected %d; host %.2f cores, nats-server %.2f, emulator %.2f",
                    rate, Double(end.accepted + end.dropped - start.accepted - start.dropped) / seconds,
                    Double(end.written - start.written) / seconds,
                    end.dropped - start.dropped, end.rejected - start.rejected, cpu[0], cpu[1], cpu[2]))
        }
        emulator.send("stats")
        try await Task.sleep(for: .seconds(1))
        print("emulator: \(emulator.lastLine(prefix: "stats") ?? "?") (log: \(emulator.log.path))")
        // Without agents connected, so the messages reach the host alone.
        emulator.stop()
        try await Task.sleep(for: .seconds(2))
        try await directIngest(bus: bus, supervisor: try require(bus.supervisor, "supervisor"), agents: everyone)
        host.running.cancel()
        await host.server.shutdown()
    }

    private func seed(_ count: Int, site: Int, pool: DatabasePool) async throws -> [(String, String)] {
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        var rows: [(String, String, String)] = []
        try await withThrowingTaskGroup(of: [(String, String, String)].self) { tasks in
            let chunk = max(1, count / 4)
            for start in stride(from: 0, to: count, by: chunk) {
                let n = min(chunk, count - start)
                tasks.addTask {
                    (0..<n).map { _ in
                        let id = String((0..<40).map { _ in letters.randomElement()! })
                        let token = Crypto.randomHex(bytes: 20)
                        return (id, token, NATSPassword.hash(token) ?? "")
                    }
                }
            }
            for try await part in tasks { rows += part }
        }
        for start in stride(from: 0, to: rows.count, by: 1000) {
            // Generated values only (letters, hex, bcrypt's alphabet): safe to inline.
            let values = rows[start..<min(start + 1000, rows.count)].map { id, token, hash in
                "('\(id)', 'emu-\(id.prefix(8))', \(site), (SELECT client_id FROM sites WHERE id = \(site)), 'server', 'linux', '\(Crypto.sha256Hex(token))', '\(hash)', now())"
            }.joined(separator: ",")
            try await pool.query(
                "INSERT INTO agents (agent_id, hostname, site_id, client_id, monitoring_type, plat, token_digest, nats_password, last_seen) VALUES \(values)"
            )
        }
        return rows.map { ($0.0, $0.1) }
    }

    /// The host's ingestion without the websocket transport: hellos published straight to
    /// nats-server (as the host's user, on each agent's subject with the agent-hello tag),
    /// paced at each rate; what the host decodes, queues and writes is counted.
    private func directIngest(bus: AgentBus, supervisor: NATSSupervisor, agents: [String]) async throws {
        let publisher = try NATSConnection.connect(
            .init(url: supervisor.url, user: supervisor.hostUser, password: supervisor.hostPassword),
            logger: .init(label: "bench-publisher"))
        defer { publisher.close() }
        let payloads = agents.map {
            Array(
                AgentMsgPack.encode(AgentTelemetryMessages.payload(.hello, agent: AgentIdentity(agentID: $0, token: ""))).readableBytesView)
        }
        for rate in directRates.split(separator: ",").compactMap({ Int($0) }) {
            let start = bus.telemetry.currentCounts
            let began = ContinuousClock.now
            let total = rate * ingestSeconds
            // Bursts every 10 ms keep the pace without a sleep per message.
            let perTick = max(1, rate / 100)
            var sent = 0
            while sent < total {
                for _ in 0..<min(perTick, total - sent) {
                    let index = sent % agents.count
                    try publisher.publish(agents[index], payloads[index], reply: "agent-hello")
                    sent += 1
                }
                try await Task.sleep(until: began + .milliseconds(10 * (sent / perTick)), clock: .continuous)
            }
            try publisher.flush(timeout: .seconds(30))
            let publishSeconds = (ContinuousClock.now - began).seconds
            // Let the writer drain, then count.
            let deadline = ContinuousClock.now + .seconds(30)
            while bus.telemetry.currentCounts.written + bus.telemetry.currentCounts.dropped - start.written - start.dropped < total,
                ContinuousClock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(20))
            }
            let end = bus.telemetry.currentCounts
            let allSeconds = (ContinuousClock.now - began).seconds
            print(
                String(
                    format:
                        "ingest direct to nats-server, offered %d msgs/s for %d s (sent in %.1f s): written %d of %d (%.0f/s until the last was written), dropped %d",
                    rate, ingestSeconds, publishSeconds, end.written - start.written, total,
                    Double(end.written - start.written) / allSeconds, end.dropped - start.dropped))
        }
    }

    private func fanOut(bus: AgentBus, agents: [String]) async throws {
        let inbox = "_INBOX.fanout.\(Crypto.randomHex(bytes: 6))"
        let replies = NIOLockedValueBox(0)
        let lastReply = NIOLockedValueBox(ContinuousClock.now)
        let subscription = try bus.connection.subscribe(inbox) { _ in
            replies.withLockedValue { $0 += 1 }
            lastReply.withLockedValue { $0 = .now }
        }
        defer { subscription.unsubscribe() }
        try bus.connection.flush()
        let command = AgentCommand("ping").encoded()
        let start = ContinuousClock.now
        for agent in agents { try bus.connection.publish(agent, command, reply: inbox) }
        try bus.connection.flush(timeout: .seconds(30))
        let dispatched = ContinuousClock.now - start
        let deadline = ContinuousClock.now + .seconds(30)
        while replies.withLockedValue({ $0 }) < agents.count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        let answered = replies.withLockedValue { $0 }
        print(
            String(
                format:
                    "fan-out of one ping to %d agents via the host's NATS connection: dispatched (published + flushed) in %.3f s, %d replies, last after %.3f s",
                agents.count, dispatched.seconds, answered, (lastReply.withLockedValue { $0 } - start).seconds))
    }
}

/// garrison-agent-emulator as a child: commands on its standard input, output to a log.
final class EmulatorProcess: Sendable {
    let process: Process
    let input: FileHandle
    let log: URL

    var pid: Int32 { process.processIdentifier }

    static func start(_ path: String, _ arguments: [String], log: URL) throws -> EmulatorProcess {
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardInput = pipe
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = process.standardOutput
        try process.run()
        return EmulatorProcess(process: process, input: pipe.fileHandleForWriting, log: log)
    }

    private init(process: Process, input: FileHandle, log: URL) {
        self.process = process
        self.input = input
        self.log = log
    }

    func send(_ line: String) {
        try? input.write(contentsOf: Data((line + "\n").utf8))
    }

    func lastLine(prefix: String) -> String? {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").last { $0.hasPrefix(prefix) }.map(String.init)
    }

    func waitFor(_ prefix: String, timeout: Duration) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = lastLine(prefix: prefix) { return line }
            guard process.isRunning else {
                throw BenchError("the emulator exited: \(((try? String(contentsOf: log, encoding: .utf8)) ?? "").suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("the emulator did not print '\(prefix)' within \(timeout); see \(log.path)")
    }

    func stop() {
        if process.isRunning { process.terminate() }
    }
}

private func require<T>(_ value: T?, _ what: String) throws -> T {
    guard let value else { throw BenchError("\(what) is missing") }
    return value
}
